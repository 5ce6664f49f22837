"""The health pages: the account page's health card and pulse, the portfolio dashboard, scorecards.

Every route is checked with the outsider (Olga → 404) and the viewer (Vic → 403 on writes); the
pulse with a CSM in and outside its own book (Carol owns Globex, Dave does not); publishing with a
CSM (403) and a manager (Mark). Scores are made two ways: by health_recompute over usage rollups
written for past days (the account page), or as stored rows (the dashboard's hand counts).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account, Segment
from retain.accounts.selectors import workspace_today
from retain.health import services
from retain.health.choices import Band, ScorecardStatus
from retain.health.models import HealthScore, Pulse, Scorecard
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage

pytestmark = pytest.mark.django_db

# One measure, so that a test can say what the score must be: active days over 28, 0 → 0, 28 → 100.
USAGE_ONLY = """\
name: Usage only
description: Days with product use, nothing else.
applies_to: {default: true}
priority: 1000
composition: weighted_average
missing: reweight
bands: {red_below: 40, green_from: 70}
measures:
- kind: active_days
  label: Active days
  weight: 1
  scoring:
    linear: {from: 0, to: 28}
"""


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def today(workspace: Workspace) -> dt.date:
    return workspace_today(workspace)


@pytest.fixture
def scorecard(workspace: Workspace) -> Scorecard:
    return services.scorecard_publish(workspace=workspace, actor=None, text=USAGE_ONLY)


def make_account(workspace: Workspace, name: str, *, owner: Member | None = None, **fields: Any) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, domain=f"{name.lower().replace(' ', '')}.example",
        owner=owner, **fields,
    )  # fmt: skip


def store_score(account: Account, scorecard: Scorecard, day: dt.date, overall: float | None, band: str) -> HealthScore:
    raw = None if overall is None else overall * 0.28
    measures = [
        {"kind": "active_days", "label": "Active days", "group": None, "raw": raw, "score": overall, "weight": 1.0,
         "effective_weight": 1.0 if overall is not None else 0.0, "contribution": overall or 0.0,
         "missing": overall is None, "decided": False}
    ]  # fmt: skip
    return HealthScore.objects.create(
        workspace=account.workspace, account=account, day=day, overall=overall, band=band, measures=measures,
        scorecard=scorecard, computed_at=timezone.now(),
    )  # fmt: skip


def active_on(account: Account, days: list[dt.date], events: int = 5) -> None:
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace=account.workspace, account=account, day=day, events=events, active_users=1)
        for day in days
    )


def last_days(end: dt.date, count: int) -> list[dt.date]:
    return [end - dt.timedelta(days=offset) for offset in range(count)]


# Who may see and do what -------------------------------------------------------------------------


def test_outsider_gets_404_on_every_route(client: Client, account: Account, scorecard: Scorecard, olga: Member) -> None:
    login(client, olga)
    for route in [url("health"), url("scorecards"), url("scorecard", scorecard.pk), url("scorecard-edit")]:
        assert client.get(route).status_code == 404, route
        assert client.post(route, {"definition": USAGE_ONLY, "action": "publish"}).status_code in (404, 405), route
    assert client.post(url("account-pulse", account.pk), {"value": 1}).status_code == 404
    assert client.get(url("account", account.pk)).status_code == 404
    assert not Pulse.objects.exists()


def test_outsider_cannot_open_this_workspaces_scorecard_from_their_own(
    client: Client, scorecard: Scorecard, account: Account, olga: Member
) -> None:
    login(client, olga)
    assert client.get(reverse("scorecard", args=["other", scorecard.pk])).status_code == 404
    assert client.post(reverse("account-pulse", args=["other", account.pk]), {"value": 1}).status_code == 404
    assert client.get(reverse("scorecard-edit", args=["other"]), {"from": scorecard.pk}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Client, workspace: Workspace) -> None:
    response = client.get(url("health"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_reads_every_page_but_gets_403_on_pulse_and_publish(
    client: Client, account: Account, scorecard: Scorecard, vic: Member
) -> None:
    login(client, vic)
    for route in [url("health"), url("scorecards"), url("scorecard", scorecard.pk), url("scorecard-edit")]:
        assert client.get(route).status_code == 200, route
    page = client.get(url("account", account.pk)).content.decode()
    assert 'id="health"' in page
    assert "Set pulse" not in page
    assert client.post(url("account-pulse", account.pk), {"value": 3}).status_code == 403
    edited = USAGE_ONLY.replace("weight: 1", "weight: 2")
    assert client.post(url("scorecard-edit"), {"definition": edited, "action": "publish"}).status_code == 403
    assert not Pulse.objects.exists()
    assert Scorecard.objects.filter(name="Usage only").count() == 1


def test_pulse_requires_post(client: Client, account: Account, carol: Member) -> None:
    login(client, carol)
    assert client.get(url("account-pulse", account.pk)).status_code == 405


def test_a_csm_sets_the_pulse_on_its_own_book_only(
    client: Client, workspace: Workspace, account: Account, carol: Member, dave: Member
) -> None:
    login(client, dave)
    assert client.post(url("account-pulse", account.pk), {"value": 1, "note": "not mine"}).status_code == 403
    assert b"Set pulse" not in client.get(url("account", account.pk)).content

    login(client, carol)
    response = client.post(url("account-pulse", account.pk), {"value": 1, "note": "Budget freeze announced"})
    assert response.status_code == 302
    assert response["Location"] == url("account", account.pk) + "#health"
    pulse = Pulse.objects.get()
    assert (pulse.account, pulse.member, pulse.value, pulse.note) == (account, carol, 1, "Budget freeze announced")
    page = client.get(url("account", account.pk)).content.decode()
    assert re.search(r'id="pulse-now">.*Red', page) or "pulse is <strong>red</strong>" in page
    assert account.timeline.filter(kind="pulse_set").exists()


def test_a_manager_sets_the_pulse_on_any_account(client: Client, account: Account, mark: Member) -> None:
    login(client, mark)
    assert client.post(url("account-pulse", account.pk), {"value": 3}).status_code == 302
    assert Pulse.objects.get().value == 3


def test_a_bad_pulse_names_the_field_and_sets_nothing(client: Client, account: Account, carol: Member) -> None:
    login(client, carol)
    response = client.post(url("account-pulse", account.pk), {"value": 7}, follow=True)
    assert "Pulse not set. value:" in response.content.decode()
    assert not Pulse.objects.exists()


# The account page --------------------------------------------------------------------------------


def test_the_account_page_shows_the_breakdown_history_and_what_changed(
    client: Client, workspace: Workspace, account: Account, scorecard: Scorecard, vic: Member
) -> None:
    day = today(workspace)
    week_ago = day - dt.timedelta(days=7)
    # Active every day of the 21 before the last fortnight: 21 of the 28 days to a week ago, but only
    # 14 of the 28 to today, since nobody came back.
    active_on(account, last_days(week_ago - dt.timedelta(days=7), 21))
    services.health_recompute(workspace=workspace, day=week_ago)
    services.health_recompute(workspace=workspace, day=day)
    assert HealthScore.objects.get(account=account, day=week_ago).overall == 75.0
    assert HealthScore.objects.get(account=account, day=day).overall == 50.0

    login(client, vic)
    page = client.get(url("account", account.pk)).content.decode()
    health = page[page.index('id="health"') : page.index('id="subscriptions"')]
    assert "Usage only" in health and "v1" in health
    assert 'class="badge band-yellow"' in health
    assert "Active days" in health
    assert "active on 14 of the last 28 days" in health  # the raw value in words
    assert "What changed since last week" in health
    assert "−25: active on 14 of the last 28 days" in health
    assert "−25 in a week" in health
    assert health.count('class="history-dot') == 2
    assert 'class="zone zone-green"' in health


def test_the_account_page_says_when_there_is_nothing_to_compare_with(
    client: Client, workspace: Workspace, account: Account, scorecard: Scorecard, carol: Member
) -> None:
    store_score(account, scorecard, today(workspace), 80.0, Band.GREEN)
    login(client, carol)
    page = client.get(url("account", account.pk)).content.decode()
    assert "No score a week or more before" in page
    assert "Set pulse" in page


def test_an_unscored_account_says_so(client: Client, account: Account, carol: Member) -> None:
    login(client, carol)
    assert "Not scored yet" in client.get(url("account", account.pk)).content.decode()


def test_an_account_not_scored_yet_shows_why_on_its_page_and_in_what_changed(
    client: Client, workspace: Workspace, scorecard: Scorecard, carol: Member, olga: Member
) -> None:
    fresh = make_account(workspace, "Newco", tier="enterprise")
    active_on(fresh, last_days(today(workspace), 3))
    services.health_recompute(workspace=workspace, day=today(workspace), account_ids=[fresh.pk])
    login(client, carol)
    page = client.get(url("account", fresh.pk)).content.decode()
    health = page[page.index('id="health"') : page.index('id="subscriptions"')]
    assert 'data-not-scored="no active subscription"' in health
    assert 'class="badge band-blank"' in health and "band-red" not in health
    changed = health[health.index("What changed since last week") :]
    assert "Not scored yet: no active subscription." in changed
    login(client, olga)
    assert client.get(url("account", fresh.pk)).status_code == 404


def test_the_account_page_takes_the_same_queries_whatever_the_history(
    client: Client, workspace: Workspace, account: Account, scorecard: Scorecard, carol: Member
) -> None:
    login(client, carol)
    day = today(workspace)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("account", account.pk)).status_code == 200
        return len(queries)

    store_score(account, scorecard, day - dt.timedelta(days=8), 60.0, Band.YELLOW)
    store_score(account, scorecard, day, 70.0, Band.GREEN)
    few = count()
    for offset in range(1, 60):
        if offset != 8:
            store_score(account, scorecard, day - dt.timedelta(days=offset), 50.0 + offset % 30, Band.YELLOW)
    assert count() == few


# The portfolio dashboard -------------------------------------------------------------------------


@pytest.fixture
def book(workspace: Workspace, scorecard: Scorecard, carol: Member, dave: Member) -> dict[str, Account]:
    """Nine accounts: 3 green, 2 yellow, 1 red, 1 with no inputs, 1 scored too long ago, 1 churned.

    Carol owns the enterprise ones, Dave the community ones.
    """
    day = today(workspace)
    plan = [
        ("Green A", carol, "enterprise", 90.0, Band.GREEN, 0),
        ("Green B", carol, "enterprise", 75.0, Band.GREEN, 0),
        ("Green C", dave, "community", 71.0, Band.GREEN, 2),
        ("Yellow A", dave, "community", 55.0, Band.YELLOW, 0),
        ("Yellow B", carol, "enterprise", 45.0, Band.YELLOW, 1),
        ("Red A", dave, "community", 20.0, Band.RED, 0),
        ("Blank A", dave, "community", None, Band.BLANK, 0),
        ("Stale A", carol, "enterprise", 95.0, Band.GREEN, 30),
    ]
    accounts = {}
    for name, owner, tier, overall, band, age in plan:
        accounts[name] = make_account(workspace, name, owner=owner, tier=tier)
        store_score(accounts[name], scorecard, day - dt.timedelta(days=age), overall, band)
    churned = make_account(workspace, "Churned A", owner=dave, tier="community", stage="churned")
    store_score(churned, scorecard, day, 99.0, Band.GREEN)
    accounts["Churned A"] = churned
    return accounts


def dashboard(client: Client, **params: Any) -> Any:
    response = client.get(url("health"), params)
    assert response.status_code == 200
    return response


def test_percent_green_equals_a_hand_count(client: Client, book: dict[str, Account], vic: Member) -> None:
    login(client, vic)
    response = dashboard(client)
    # Green A, B, C of six scored (Blank has no inputs, Stale's score is 30 days old, Churned is out).
    assert response.context["data"].scored == 6
    assert response.context["counts"] == {"green": 3, "yellow": 2, "red": 1, "blank": 2}
    page = response.content.decode()
    assert "green / scored accounts = 3 / 6" in page
    assert re.search(r'id="green-share">.*?<span class="kpi-value">50%</span>', page, re.S)
    assert "Churned A" not in page


def test_band_trend_counts_the_scores_of_each_week(
    client: Client, workspace: Workspace, book: dict[str, Account], scorecard: Scorecard, vic: Member
) -> None:
    week_ago = today(workspace) - dt.timedelta(days=7)
    store_score(book["Green A"], scorecard, week_ago, 30.0, Band.RED)
    store_score(book["Red A"], scorecard, week_ago, 30.0, Band.RED)
    login(client, vic)
    weeks = dashboard(client).context["data"].trend
    assert len(weeks) == 12
    assert [w.day for w in weeks][-2:] == [week_ago, today(workspace)]
    assert weeks[-2].counts == {"red": 2}
    assert weeks[-1].counts == {"green": 2, "yellow": 1, "red": 1, "blank": 1}
    assert weeks[-1].share("green") == 0.5
    assert weeks[0].scored == 0


def test_quadrant_counts_split_health_at_50_and_activity_at_14_days(
    client: Client, workspace: Workspace, book: dict[str, Account], vic: Member
) -> None:
    day = today(workspace)
    active_on(book["Green A"], last_days(day, 20))  # healthy, active
    active_on(book["Green B"], last_days(day, 3))  # healthy, quiet
    active_on(book["Yellow B"], last_days(day, 14))  # 45: unhealthy, active (14 counts as active)
    active_on(book["Red A"], last_days(day - dt.timedelta(days=28), 20))  # active before the window only
    login(client, vic)
    response = dashboard(client)
    counts = {row["key"]: row["count"] for row in response.context["quadrant_rows"]}
    # Green C (71, no usage) is healthy and quiet; Yellow A (55, no usage) too.
    assert counts == {"healthy_active": 1, "healthy_quiet": 3, "unhealthy_active": 1, "unhealthy_inactive": 1}
    page = response.content.decode()
    assert page.count('<circle class="dot') == 6
    assert f'href="{url("account", book["Green A"].pk)}"' in page
    assert "Green A: health 90 (green), active 20 of 28 days" in page
    assert "Healthy and active (1)" in page


def test_it_filters_by_csm_tier_and_segment(
    client: Client, workspace: Workspace, book: dict[str, Account], carol: Member, dave: Member, vic: Member
) -> None:
    login(client, vic)
    by_owner = dashboard(client, owner=carol.pk).context
    assert {a.name for a in by_owner["data"].accounts} == {"Green A", "Green B", "Yellow B", "Stale A"}
    assert by_owner["counts"]["green"] == 2

    by_tier = dashboard(client, tier="community").context
    assert {a.name for a in by_tier["data"].accounts} == {"Green C", "Yellow A", "Red A", "Blank A"}
    assert "green / scored accounts = 1 / 3" in dashboard(client, tier="community").content.decode()

    segment = account_services.segment_create(
        workspace=workspace, actor=None, name="Dave's book", criteria={"owner": [dave.pk]}
    )
    by_segment = dashboard(client, segment=segment.pk, tier="community").context
    assert {a.name for a in by_segment["data"].accounts} == {"Green C", "Yellow A", "Red A", "Blank A"}
    assert {a.name for a in dashboard(client, segment=segment.pk, owner=carol.pk).context["data"].accounts} == set()


def test_a_refused_filter_names_the_field_and_shows_no_figures(
    client: Client, workspace: Workspace, book: dict[str, Account], olga: Member, vic: Member
) -> None:
    foreign = Segment.objects.create(workspace=olga.workspace, name="Theirs", criteria={})
    login(client, vic)
    response = dashboard(client, segment=foreign.pk, tier="platinum")
    assert response.context["form"].errors.keys() == {"segment", "tier"}
    assert response.context["data"].accounts == []
    assert "is not one of the available choices" in response.content.decode()


def test_the_dashboard_takes_the_same_queries_for_5_and_40_accounts(
    client: Client, workspace: Workspace, scorecard: Scorecard, dave: Member, vic: Member
) -> None:
    day = today(workspace)
    segment = account_services.segment_create(
        workspace=workspace, actor=None, name="Community", criteria={"tier": ["community"]}
    )

    def add(count: int, start: int) -> None:
        for i in range(start, start + count):
            account = make_account(workspace, f"Acct {i:03}", owner=dave, tier="community")
            active_on(account, last_days(day, i % 28))
            for weeks in range(3):
                store_score(account, scorecard, day - dt.timedelta(weeks=weeks), float(i * 2 % 100), Band.YELLOW)

    login(client, vic)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboard(client, owner=dave.pk, segment=segment.pk)
        return len(queries)

    add(5, 0)
    five = count()
    add(35, 5)
    assert count() == five
    assert len(dashboard(client).context["data"].accounts) == 40


# Scorecards --------------------------------------------------------------------------------------


def test_the_scorecards_page_lists_the_published_versions_in_the_order_they_are_tried(
    client: Client, workspace: Workspace, vic: Member
) -> None:
    services.scorecards_install_defaults(workspace=workspace)
    login(client, vic)
    page = client.get(url("scorecards")).content.decode()
    names = re.findall(r'<td><a href="/w/acme/health/scorecards/\d+/">([^<]+)</a></td>', page)
    assert names == ["Strategic (high-touch)", "Enterprise (mid-touch)", "Community (tech-touch)"]
    assert "tier: strategic" in page
    assert "New scorecard" not in page


def test_a_scorecard_page_shows_its_yaml_and_every_version(
    client: Client, workspace: Workspace, scorecard: Scorecard, mark: Member
) -> None:
    second = services.scorecard_publish(workspace=workspace, actor=mark, text=USAGE_ONLY.replace("to: 28", "to: 20"))
    login(client, mark)
    page = client.get(url("scorecard", scorecard.pk)).content.decode()
    assert "linear: {from: 0, to: 28}" in page
    assert "Retired" in page and "Published" in page
    assert f'href="{url("scorecard", second.pk)}">v2</a>' in page
    assert "Edit as a new version" in page


def test_the_editor_lists_every_problem_with_its_line(client: Client, scorecard: Scorecard, mark: Member) -> None:
    login(client, mark)
    broken = USAGE_ONLY.replace("kind: active_days", "kind: active_day").replace("to: 28", "to: lots")
    response = client.post(url("scorecard-edit"), {"definition": broken, "action": "publish"})
    assert response.status_code == 400
    issues = response.context["issues"]
    assert issues == [
        "scorecard.yaml:9:3: measures[0].kind: 'active_day' is not a measure kind (did you mean 'active_days'?)",
        "scorecard.yaml:13:23: measures[0].scoring.linear.to: must be a number",
    ]
    page = response.content.decode()
    assert "2 problems" in page and "scorecard.yaml:9:3:" in page
    assert Scorecard.objects.filter(name="Usage only").count() == 1


def test_the_editor_reports_service_errors_with_their_line(
    client: Client, workspace: Workspace, scorecard: Scorecard, mark: Member
) -> None:
    login(client, mark)
    other_default = USAGE_ONLY.replace("name: Usage only", "name: Another default")
    response = client.post(url("scorecard-edit"), {"definition": other_default, "action": "publish"})
    assert response.status_code == 400
    assert any("already the default scorecard" in issue for issue in response.context["issues"])


def test_a_manager_publishes_a_new_version_from_the_editor(
    client: Client, workspace: Workspace, scorecard: Scorecard, mark: Member
) -> None:
    login(client, mark)
    form = client.get(url("scorecard-edit"), {"from": scorecard.pk})
    assert "linear: {from: 0, to: 28}" in form.content.decode()
    response = client.post(
        url("scorecard-edit"), {"definition": USAGE_ONLY.replace("to: 28", "to: 20"), "action": "publish"}
    )
    assert response.status_code == 302
    published = Scorecard.objects.get(name="Usage only", status=ScorecardStatus.PUBLISHED)
    assert published.version == 2
    assert response["Location"] == url("scorecard", published.pk)
    scorecard.refresh_from_db()
    assert scorecard.status == ScorecardStatus.RETIRED


def test_a_csm_reads_the_editor_but_cannot_publish(client: Client, scorecard: Scorecard, carol: Member) -> None:
    login(client, carol)
    assert client.get(url("scorecard-edit")).status_code == 200
    response = client.post(
        url("scorecard-edit"), {"definition": USAGE_ONLY.replace("to: 28", "to: 20"), "action": "publish"}
    )
    assert response.status_code == 403
    assert Scorecard.objects.filter(name="Usage only").count() == 1


def test_preview_counts_the_accounts_that_would_change_band_and_publishes_nothing(
    client: Client, workspace: Workspace, account: Account, scorecard: Scorecard, mark: Member
) -> None:
    day = today(workspace)
    quiet = make_account(workspace, "Quiet")
    active_on(account, last_days(day, 14))  # 50 of 100 now: yellow; 70 when 20 days make 100: green
    active_on(quiet, last_days(day, 2))  # red either way
    login(client, mark)
    draft = USAGE_ONLY.replace("to: 28", "to: 20")
    response = client.post(url("scorecard-edit"), {"definition": draft, "action": "preview"})
    assert response.status_code == 200
    assert response.context["issues"] == []
    preview = response.context["preview"]
    assert (preview.accounts, preview.changed) == (2, 1)
    assert response.context["transitions"] == [("yellow", "green", 1)]
    page = response.content.decode()
    assert '<strong id="band-changes">1</strong>' in page
    assert "Globex" in page
    assert Scorecard.objects.filter(name="Usage only").count() == 1
    assert not HealthScore.objects.exists()


def test_preview_of_a_broken_draft_lists_its_problems(client: Client, scorecard: Scorecard, mark: Member) -> None:
    login(client, mark)
    response = client.post(url("scorecard-edit"), {"definition": "name: [", "action": "preview"})
    assert response.status_code == 400
    assert response.context["issues"][0].startswith("scorecard.yaml:")
    assert response.context["preview"] is None
