"""The journey pages: the board (filters, counts, CSV, a fixed number of queries), metrics, barriers,
template versions, and the account page's ticks, barriers and lifecycle moves.

Every route is checked with the outsider (Olga → 404); writes with the viewer (Vic → 403), a CSM
outside its own book (Dave → 403, Carol owns Globex) and a manager (Mark).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.journeys.formulas import cohort_month
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.services import barrier_add, journey_start
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage

pytestmark = pytest.mark.django_db

START = dt.date.today() - dt.timedelta(days=120)


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def on_journey(workspace: Workspace, name: str, tier: str = "enterprise", owner: Member | None = None) -> Account:
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, tier=tier, owner=owner
    )
    journey_start(account=account, started_on=START)
    return account


def progress(account: Account, key: str) -> MilestoneProgress:
    return MilestoneProgress.objects.get(account=account, key=key)


@pytest.fixture
def globex(account: Account) -> Account:
    """Carol's enterprise account on the critical path; technical set-up done, oriented stuck."""
    journey_start(account=account, started_on=START)
    MilestoneProgress.objects.filter(account=account, key="technical-setup").update(
        status="done", completed_on=START + dt.timedelta(days=3)
    )
    MilestoneProgress.objects.filter(account=account, key="oriented").update(status="stuck")
    return account


# The board ---------------------------------------------------------------------------------------


def test_the_board_shows_accounts_by_milestone_with_status_and_counts(
    client: Client, workspace: Workspace, globex: Account, dave: Member, vic: Member
) -> None:
    on_journey(workspace, "Initech", tier="community", owner=dave)
    login(client, vic)
    response = client.get(url("journeys"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="board-critical-path"' in html and 'id="board-community-path"' in html
    assert "Globex" in html and "Initech" in html
    due = progress(globex, "technical-setup").due_on
    assert f'data-status="done" title="Due {due:%Y-%m-%d}; completed {(START + dt.timedelta(days=3)):%Y-%m-%d}"' in html
    assert 'title="1 stuck">Stuck 1</span>' in html
    assert "2 accounts on a journey" in html


def test_the_board_filters_by_tier_owner_cohort_and_trouble(
    client: Client, workspace: Workspace, globex: Account, carol: Member, dave: Member, vic: Member
) -> None:
    on_journey(workspace, "Initech", tier="community", owner=dave)
    on_journey(workspace, "Hooli", tier="strategic")
    login(client, vic)

    def names(**params: str | list[str]) -> list[str]:
        response = client.get(url("journeys"), params)
        assert response.status_code == 200
        return [a.name for t in response.context["tables"] for a in (row["account"] for row in t["rows"])]

    assert names() == ["Globex", "Hooli", "Initech"]
    assert names(tier=["enterprise", "strategic"]) == ["Globex", "Hooli"]
    assert names(owner=str(dave.pk)) == ["Initech"]
    assert names(owner="none") == ["Hooli"]
    assert names(attention="on") == ["Globex"]
    assert names(cohort=cohort_month(START)) == ["Globex", "Hooli", "Initech"]
    assert names(cohort=cohort_month(START + dt.timedelta(days=40))) == []
    response = client.get(url("journeys"), {"cohort": "2026-13"})
    assert "Give a month as 2026-09 or a quarter as 2026-Q3." in response.content.decode()
    assert response.context["tables"] == []


def test_the_board_runs_the_same_number_of_queries_whatever_the_rows(
    client: Client, workspace: Workspace, carol: Member, vic: Member
) -> None:
    for i in range(10):
        on_journey(workspace, f"Small {i:03}", owner=carol)
    login(client, vic)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("journeys"), {"tier": "enterprise"}).status_code == 200
        return len(queries)

    ten = count()
    for i in range(50):
        on_journey(workspace, f"Big {i:03}", tier="enterprise" if i % 2 else "strategic", owner=carol)
    assert count() == ten


def test_the_board_is_paginated_by_50(client: Client, workspace: Workspace, vic: Member) -> None:
    for i in range(51):
        on_journey(workspace, f"Acct {i:03}", tier="community")
    login(client, vic)
    first = client.get(url("journeys"))
    assert len(first.context["tables"][0]["rows"]) == 50
    second = client.get(url("journeys"), {"page": "2"})
    assert [row["account"].name for row in second.context["tables"][0]["rows"]] == ["Acct 050"]


def test_the_board_csv_has_a_row_per_account_and_milestone(
    client: Client, workspace: Workspace, globex: Account, dave: Member, vic: Member
) -> None:
    on_journey(workspace, "Initech", tier="community", owner=dave)
    login(client, vic)
    response = client.get(url("journeys-csv"), {"tier": "enterprise"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert len(rows) == 8 and {row["account"] for row in rows} == {"Globex"}
    assert rows[0]["milestone"] == "Technical set-up" and rows[0]["status"] == "done"
    assert rows[0]["owner"] == "Carol" and rows[0]["template"] == "critical-path"
    bad = client.get(url("journeys-csv"), {"cohort": "someday"})
    assert bad.status_code == 400 and b"cohort" in bad.content


def test_the_board_csv_neutralises_cells_a_spreadsheet_would_run(
    client: Client, globex: Account, vic: Member, olga: Member
) -> None:
    Account.objects.filter(pk=globex.pk).update(name='=HYPERLINK("http://evil.example")')
    response = login(client, vic).get(url("journeys-csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert rows and {row["account"] for row in rows} == {'\'=HYPERLINK("http://evil.example")'}
    assert {row["version"] for row in rows} == {"1"}
    assert login(client, olga).get(url("journeys-csv")).status_code == 404


def test_outsiders_get_404_on_every_journey_page(client: Client, globex: Account, olga: Member) -> None:
    login(client, olga)
    for name in ("journeys", "journeys-csv", "journeys-metrics", "journeys-barriers", "journey-templates"):
        assert client.get(url(name)).status_code == 404, name
    assert client.get(url("journey-template-publish", "critical-path")).status_code == 404


# Metrics and barriers ---------------------------------------------------------------------------------


def test_the_metrics_page_shows_each_figure_with_its_inputs(
    client: Client, workspace: Workspace, globex: Account, vic: Member
) -> None:
    MilestoneProgress.objects.filter(account=globex, key="initial-value").update(
        completed_on=START + dt.timedelta(days=50), status="done"
    )
    initech = on_journey(workspace, "Initech", tier="enterprise")
    Account.objects.filter(name="Initech").update(stage="churned")
    # Usage is recorded from their first day, with too little activity to count as engaged.
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace=workspace, account=a, day=START, events=3) for a in (globex, initech)
    )
    login(client, vic)
    html = client.get(url("journeys-metrics")).content.decode()
    assert (
        "days to value of the 1 of 2 journeys that reached it: 50; median 50 days, p75 50 days; 1 not there yet" in html
    )
    assert f'data-ttv="{cohort_month(START)}"' in html and 'data-ttv="Enterprise"' in html
    assert "1 done / 2 due so far = 50.0%" in html  # technical set-up
    assert "0 not engaged / 0 past" not in html
    assert "2 not engaged / 2 past their first 90 days = 100.0%" in html
    assert "50.0% / — = —" in html
    assert "fewer than 20 active days" in html


def test_the_barriers_report_counts_accounts_this_quarter(
    client: Client, workspace: Workspace, globex: Account, carol: Member, vic: Member
) -> None:
    other = on_journey(workspace, "Initech")
    for account in (globex, other):
        barrier_add(
            progress=progress(account, "technical-setup"), kind="our_issue", title="Blog migration is slow", owner=carol
        )
    Barrier.objects.filter(account=other).update(state="resolved")
    barrier_add(
        progress=progress(globex, "oriented"),
        kind="our_issue",
        title="Old news",
        owner=carol,
        today=dt.date.today() - dt.timedelta(days=400),
    )
    login(client, vic)
    html = client.get(url("journeys-barriers")).content.decode()
    assert "<strong>Blog migration is slow</strong>: 2 accounts" in html
    assert "Old news" not in html
    since = (dt.date.today() - dt.timedelta(days=500)).isoformat()
    assert "Old news" in client.get(url("journeys-barriers"), {"since": since}).content.decode()
    bad = client.get(url("journeys-barriers"), {"since": "2026-05-01", "until": "2026-04-01"}).content.decode()
    assert "must not come before From" in bad


# Template versions -------------------------------------------------------------------------------


def test_the_templates_page_lists_versions_with_their_journeys(client: Client, globex: Account, vic: Member) -> None:
    login(client, vic)
    html = client.get(url("journey-templates")).content.decode()
    assert 'id="template-critical-path"' in html and "Publish a new version" not in html


def test_only_managers_publish_a_version(client: Client, globex: Account, vic: Member, carol: Member) -> None:
    for member in (vic, carol):
        login(client, member)
        assert client.get(url("journey-template-publish", "critical-path")).status_code == 403
        assert client.post(url("journey-template-publish", "critical-path"), {"milestones": "[]"}).status_code == 403


def test_a_manager_previews_and_publishes_a_new_version(client: Client, globex: Account, mark: Member) -> None:
    login(client, mark)
    page = client.get(url("journey-template-publish", "critical-path"))
    milestones = yaml.safe_load(page.context["text"])
    milestones[1]["target_week"] = 3
    milestones[1]["items"].append("Success plan shared")
    text = yaml.safe_dump(milestones, sort_keys=False)

    preview = client.post(url("journey-template-publish", "critical-path"), {"milestones": text, "action": "preview"})
    assert preview.status_code == 200
    changes = {c["key"]: c for c in preview.context["changes"]}
    assert changes["oriented"]["change"] == "changed" and ("target_week", 2, 3) in changes["oriented"]["fields"]
    assert changes["active"]["change"] == "same"
    assert JourneyTemplate.objects.filter(key="critical-path").count() == 1

    published = client.post(url("journey-template-publish", "critical-path"), {"milestones": text, "action": "publish"})
    assert published.status_code == 302
    current = JourneyTemplate.objects.get(key="critical-path", is_current=True)
    assert current.version == 2 and current.milestone("oriented")["target_week"] == 3
    assert Journey.objects.get(account=globex).template.version == 1  # journeys under way keep theirs


def test_publishing_refuses_bad_yaml_and_bad_milestones_saying_where(
    client: Client, globex: Account, mark: Member
) -> None:
    login(client, mark)
    target = url("journey-template-publish", "critical-path")
    broken = client.post(target, {"milestones": "- key: a\n  name: [unclosed\n", "action": "publish"})
    assert broken.status_code == 400
    assert any(p.startswith("line 3, column 1") for p in broken.context["problems"])
    text = "- key: setup\n  name: Set-up\n  target_week: 200\n  kind: checklist\n  items: [Call held]\n"
    invalid = client.post(target, {"milestones": text, "action": "publish"})
    assert invalid.status_code == 400
    assert invalid.context["problems"] == ["line 3, column 3: milestones[0].target_week: must be from 1 to 104 weeks"]
    same = client.post(target, {"milestones": client.get(target).context["text"], "action": "publish"})
    assert same.status_code == 400 and "nothing changed" in same.context["problems"][0]
    assert JourneyTemplate.objects.filter(key="critical-path").count() == 1


# The account page: ticks, barriers, lifecycle ------------------------------------------------------------


def test_the_account_page_offers_ticks_and_barriers_only_to_those_who_may_edit(
    client: Client, globex: Account, carol: Member, vic: Member
) -> None:
    oriented = progress(globex, "oriented")
    login(client, carol)
    html = client.get(url("account", globex.pk)).content.decode()
    assert url("milestone-tick", oriented.pk) in html and url("barrier-add", oriented.pk) in html
    assert url("account-lifecycle", globex.pk) in html and "Kick-off call held" in html
    login(client, vic)
    html = client.get(url("account", globex.pk)).content.decode()
    assert "Kick-off call held" in html and url("milestone-tick", oriented.pk) not in html


def test_the_owner_ticks_and_unticks_a_checklist_item(client: Client, globex: Account, carol: Member) -> None:
    oriented = progress(globex, "oriented")
    login(client, carol)
    response = client.post(url("milestone-tick", oriented.pk), {"item": "Kick-off call held", "ticked": "1"})
    assert response.status_code == 302 and response["Location"].endswith("#journey")
    assert "Kick-off call held" in progress(globex, "oriented").ticks
    client.post(url("milestone-tick", oriented.pk), {"item": "Kick-off call held", "ticked": "0"})
    assert progress(globex, "oriented").ticks == {}
    bad = client.post(url("milestone-tick", oriented.pk), {"item": "Nope"}, follow=True)
    assert "Oriented not changed: item: must be one of" in bad.content.decode()


def test_ticking_every_item_completes_the_milestone(client: Client, globex: Account, mark: Member) -> None:
    oriented = progress(globex, "oriented")
    login(client, mark)
    for item in ("Kick-off call held", "Admins trained", "Goals agreed"):
        client.post(url("milestone-tick", oriented.pk), {"item": item})
    assert progress(globex, "oriented").completed_on == dt.date.today()
    assert TimelineEntry.objects.filter(account=globex, kind="milestone_completed").count() == 1


def test_only_those_who_may_edit_the_account_write_its_journey(
    client: Client, globex: Account, dave: Member, vic: Member, olga: Member, carol: Member
) -> None:
    oriented = progress(globex, "oriented")
    barrier = barrier_add(progress=oriented, kind="our_issue", title="Slow", owner=carol)
    writes = [
        (url("milestone-tick", oriented.pk), {"item": "Kick-off call held"}),
        (url("barrier-add", oriented.pk), {"kind": "our_issue", "title": "X", "owner": f"member:{carol.pk}"}),
        (url("barrier-resolve", barrier.pk), {}),
        (url("account-lifecycle", globex.pk), {"stage": "adoption", "reason": "why not"}),
    ]
    for member, status in ((dave, 403), (vic, 403)):
        login(client, member)
        for target, data in writes:
            assert client.post(target, data).status_code == status, (member, target)
    client.logout()
    login(client, olga)
    for target, data in writes:
        assert client.post(target.replace("/acme/", "/other/"), data).status_code == 404, target
        assert client.post(target, data).status_code == 404, target
    globex.refresh_from_db()
    assert progress(globex, "oriented").ticks == {} and globex.stage == "onboarding"
    assert Barrier.objects.get().state == "open"


def test_a_barrier_is_added_with_one_owner_and_resolved(
    client: Client, globex: Account, carol: Member, dave: Member
) -> None:
    contact = Contact.objects.create(workspace=globex.workspace, account=globex, first_name="Gina", email="g@x.example")
    oriented = progress(globex, "oriented")
    login(client, carol)
    client.post(
        url("barrier-add", oriented.pk),
        {"kind": "our_issue", "title": "Blog migration is slow", "owner": f"member:{dave.pk}"},
    )
    client.post(
        url("barrier-add", oriented.pk),
        {"kind": "customer_challenge", "title": "No admin yet", "note": "hiring", "owner": f"contact:{contact.pk}"},
    )
    mine, theirs = Barrier.objects.order_by("id")
    assert (mine.owner, mine.owner_contact, mine.title) == (dave, None, "Blog migration is slow")
    assert (theirs.owner, theirs.owner_contact, theirs.note) == (None, contact, "hiring")
    html = client.get(url("account", globex.pk)).content.decode()
    assert "No admin yet" in html and "(Gina, customer)" in html
    missing = client.post(url("barrier-add", oriented.pk), {"kind": "our_issue", "title": "Orphan"}, follow=True)
    assert "Barrier not added: owner: give one owner" in missing.content.decode()
    assert client.post(url("barrier-resolve", mine.pk)).status_code == 302
    mine.refresh_from_db()
    assert mine.state == "resolved" and mine.resolved_on == dt.date.today()
    again = client.post(url("barrier-resolve", mine.pk), follow=True)
    assert "Barrier not resolved: state: the barrier is resolved already" in again.content.decode()
    assert Barrier.objects.count() == 2


def test_a_lifecycle_move_needs_a_reason(client: Client, globex: Account, carol: Member) -> None:
    login(client, carol)
    refused = client.post(url("account-lifecycle", globex.pk), {"stage": "adoption", "reason": " "}, follow=True)
    assert "Stage not changed: reason: say why the account moves" in refused.content.decode()
    globex.refresh_from_db()
    assert globex.stage == "onboarding"
    client.post(url("account-lifecycle", globex.pk), {"stage": "adoption", "reason": "initial value confirmed"})
    globex.refresh_from_db()
    assert globex.stage == "adoption"
    entry = TimelineEntry.objects.get(account=globex, kind="stage_changed")
    assert entry.data["reason"] == "initial value confirmed"


def test_htmx_gets_the_journey_panel_back_with_what_happened(client: Client, globex: Account, carol: Member) -> None:
    oriented = progress(globex, "oriented")
    login(client, carol)
    ticked = client.post(url("milestone-tick", oriented.pk), {"item": "Admins trained"}, HTTP_HX_REQUEST="true")
    html = ticked.content.decode()
    assert ticked.status_code == 200 and "<html" not in html and 'id="journey"' in html
    assert 'title="Untick Admins trained"' in html and "Admins trained: ticked." in html
    refused = client.post(url("barrier-add", oriented.pk), {"kind": "our_issue", "title": ""}, HTTP_HX_REQUEST="true")
    assert 'role="alert">Barrier not added: title: must be a non-empty text' in refused.content.decode()
