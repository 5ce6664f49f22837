"""The team's pages: a CSM's book and the team page keep a fixed query count however big the book."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account, Touchpoint
from retain.reports.models import BusinessReview
from retain.tasks import services as task_services
from retain.team.coverage import DEFAULT_SOURCE
from retain.team.models import BalancePlan, CoverageModel
from retain.tenancy.models import Member, Workspace


def _login(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.username, password=PASSWORD)
    return client


def _grow(workspace: Workspace, owner: Member, n: int) -> None:
    """n accounts in the owner's book, each with a touchpoint and a task."""
    start = Account.objects.filter(workspace=workspace).count()
    accounts = Account.objects.bulk_create(
        Account(
            workspace=workspace,
            name=f"Book {start + i}",
            tier="enterprise",
            stage="adoption",
            owner=owner,
            mrr=Decimal(100),
        )
        for i in range(n)
    )
    Touchpoint.objects.bulk_create(
        Touchpoint(
            workspace=workspace,
            account=a,
            kind="call",
            occurred_at=timezone.now() - dt.timedelta(days=i % 30),
            summary="Call",
        )
        for i, a in enumerate(accounts)
    )
    for a in accounts[:3]:
        task_services.task_create(
            account=a,
            title="Follow up",
            kind="call",
            due_on=dt.date.today() - dt.timedelta(days=1),
            owner=owner,
            actor=owner,
        )


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/w/acme/my-book/", "/w/acme/team/"])
def test_home_pages_keep_a_fixed_query_count_for_10_and_200_accounts(
    workspace: Workspace, erin: Member, ed: Member, mark: Member, url: str
) -> None:
    viewer = _login(erin if "my-book" in url else mark)
    _grow(workspace, erin, 10)
    _grow(workspace, ed, 10)
    small = _queries(viewer, url)
    _grow(workspace, erin, 190)
    _grow(workspace, ed, 190)
    assert _queries(viewer, url) == small


def test_my_book_shows_accounts_with_cadence_tasks_and_overdue_touches(workspace: Workspace, erin: Member) -> None:
    fresh = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Fresh Co", tier="strategic", stage="adoption", owner=erin
    )
    stale = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Stale Co", tier="strategic", stage="adoption", owner=erin
    )
    account_services.touchpoint_log(
        account=fresh,
        actor=erin,
        via="test",
        kind="call",
        summary="Check-in",
        occurred_at=timezone.now() - dt.timedelta(days=3),
    )
    account_services.touchpoint_log(
        account=stale,
        actor=erin,
        via="test",
        kind="call",
        summary="Check-in",
        occurred_at=timezone.now() - dt.timedelta(days=20),
    )
    page = _login(erin).get("/w/acme/my-book/").content.decode()
    assert "My book" in page and "Fresh Co" in page
    cadence = page[page.index('id="cadence-due"') : page.index('id="accounts"')]
    assert "Stale Co" in cadence and "Fresh Co" not in cadence
    assert "expects a call or meeting every 14 days; last" in cadence


def test_the_team_page_drills_down_to_a_csms_book(workspace: Workspace, erin: Member, mark: Member) -> None:
    _grow(workspace, erin, 2)
    client = _login(mark)
    team = client.get("/w/acme/team/").content.decode()
    assert f'href="/w/acme/team/{erin.pk}/"' in team
    assert "Cadence compliance = " in team and "% green = " in team
    book = client.get(f"/w/acme/team/{erin.pk}/").content.decode()
    assert "Erin's book" in book and "Book 0" in book


def test_a_wrong_coverage_model_is_refused_with_line_and_column(workspace: Workspace, mark: Member) -> None:
    text = DEFAULT_SOURCE.replace("max_accounts: 15", "max_accounts: many")
    response = _login(mark).post("/w/acme/team/coverage/", {"definition": text})
    assert response.status_code == 400
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "max_accounts: many" in row)
    assert f"coverage.yaml:{line}:5: tiers.strategic.max_accounts: must be a whole number" in response.content.decode()
    assert not CoverageModel.objects.exists()


def test_a_manager_proposes_previews_edits_and_applies_a_plan(
    workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    _grow(workspace, erin, 5)
    client = _login(mark)
    response = client.post("/w/acme/team/balance/")
    plan_url = response["Location"]
    page = client.get(plan_url).content.decode()
    assert "Move 2 accounts, 2,400 USD ARR" in page
    assert "5 → <strong>3</strong>" in page and "0 → <strong>2</strong>" in page
    plan = BalancePlan.objects.get()
    first, _second = plan.moves.all()
    client.post(plan_url, {"action": "update", f"include-{first.pk}": "on"})
    assert "Move 1 account, 1,200 USD ARR" in client.get(plan_url).content.decode()
    done = client.post(plan_url, {"action": "apply"}, follow=True)
    assert "Moved 1 account." in done.content.decode()
    assert Account.objects.filter(owner=ed).count() == 1


def test_the_book_and_the_team_download_as_csv(workspace: Workspace, erin: Member, mark: Member) -> None:
    _grow(workspace, erin, 3)
    book = _login(erin).get("/w/acme/my-book/?format=csv")
    assert book["Content-Type"].startswith("text/csv")
    lines = book.content.decode().splitlines()
    assert lines[0].startswith("account,tier,stage,health_band") and len(lines) == 4
    team = _login(mark).get("/w/acme/team/?format=csv").content.decode().splitlines()
    assert team[0].startswith("csm,kind,accounts") and team[1].startswith("Erin,enterprise,3,3,3600")


def test_my_book_lists_qbrs_due_and_the_team_shows_qbr_coverage_per_csm(
    workspace: Workspace, erin: Member, ed: Member, mark: Member
) -> None:
    today = dt.date.today()
    made = {
        name: account_services.account_create(
            workspace=workspace, actor=None, via="test", name=name, tier="enterprise", stage="adoption", owner=erin
        )
        for name in ("Soon Co", "Late Co", "Far Co", "Held Co")
    }

    def review(name: str, status: str, meeting_on: dt.date | None, period: str = "2026Q3") -> None:
        BusinessReview.objects.create(
            workspace=workspace, account=made[name], period=period, starts_on=today - dt.timedelta(days=90),
            ends_on=today + dt.timedelta(days=60), status=status, meeting_on=meeting_on,
        )  # fmt: skip

    review("Soon Co", "planned", today + dt.timedelta(days=5))
    review("Late Co", "prepared", today - dt.timedelta(days=3))
    review("Far Co", "planned", today + dt.timedelta(days=40))
    review("Held Co", "held", today - dt.timedelta(days=10))
    page = _login(erin).get("/w/acme/my-book/").content.decode()
    due = page[page.index('id="qbrs-due"') : page.index('id="cadence-due"')]
    assert "Soon Co" in due and "Late Co" in due and "Far Co" not in due and "Held Co" not in due
    assert due.index("Late Co") < due.index("Soon Co") and "overdue" in due
    team = _login(mark).get("/w/acme/team/").content.decode()
    row = team[team.index(f'data-member="{erin.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "QBR coverage = 1 / 4 = 25%" in row and ">25%<" in row
