"""Journey metrics on small hand-built data, figure by figure."""

from __future__ import annotations

import datetime as dt

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.journeys import metrics
from retain.journeys.defaults import INITIAL_VALUE
from retain.journeys.formulas import cohort_quarter, milestones_diff, month_bounds, percentile, quarter_of
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 5)
FEB = dt.date(2026, 2, 10)
TODAY = dt.date(2026, 6, 1)


def _on_journey(workspace: Workspace, name: str, tier: str, started_on: dt.date) -> Account:
    account = account_services.account_create(workspace=workspace, actor=None, via="test", name=name, tier=tier)
    journey_start(account=account, started_on=started_on)
    return account


def _complete(account: Account, key: str, on: dt.date, status: str = "done") -> None:
    MilestoneProgress.objects.filter(account=account, key=key).update(completed_on=on, status=status)


# Pure helpers -------------------------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7], 0.75) == 7
    assert percentile([40, 20, 30], 0.5) == 30
    assert percentile([20, 30, 40], 0.75) == 35
    assert percentile([30, 40], 0.75) == 37.5


def test_cohort_labels_and_bounds() -> None:
    assert cohort_quarter(dt.date(2026, 11, 23)) == "2026-Q4"
    assert month_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert month_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_of(dt.date(2026, 5, 17)) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    for bad in ("2026-13", "2026-Q5", "soon", "2026"):
        assert month_bounds(bad) is None


def test_milestones_diff_names_what_changed() -> None:
    old = [{"key": "a", "name": "A", "target_week": 1}, {"key": "b", "name": "B", "target_week": 2}]
    new = [{"key": "a", "name": "A", "target_week": 3}, {"key": "c", "name": "C", "target_week": 4}]
    assert milestones_diff(old, new) == [
        {"key": "a", "name": "A", "change": "changed", "fields": [("target_week", 1, 3)]},
        {"key": "c", "name": "C", "change": "added", "fields": []},
        {"key": "b", "name": "B", "change": "removed", "fields": []},
    ]
    assert [c["change"] for c in milestones_diff(old, list(reversed(old)))] == ["moved", "moved"]


# Time to value ------------------------------------------------------------------------------------


def test_time_to_value_per_cohort_and_tier(workspace: Workspace) -> None:
    a = _on_journey(workspace, "A", "enterprise", JAN)
    b = _on_journey(workspace, "B", "enterprise", JAN)
    _on_journey(workspace, "C", "enterprise", JAN)  # has not reached initial value
    d = _on_journey(workspace, "D", "community", FEB)
    _complete(a, INITIAL_VALUE, JAN + dt.timedelta(days=30))
    _complete(b, INITIAL_VALUE, JAN + dt.timedelta(days=40))
    _complete(d, INITIAL_VALUE, FEB + dt.timedelta(days=20))

    report = metrics.time_to_value(workspace)

    assert (report.overall.n, report.overall.reached, report.overall.not_reached) == (4, 3, 1)
    assert (report.overall.median, report.overall.p75) == (30, 35)
    jan, feb = report.by_cohort
    assert (jan.group, jan.n, jan.not_reached, jan.median, jan.p75) == ("2026-01", 3, 1, 35, 37.5)
    assert (feb.group, feb.n, feb.median) == ("2026-02", 1, 20)
    assert [(t.group, t.n, t.median) for t in report.by_tier] == [("Community", 1, 20), ("Enterprise", 3, 35)]
    assert "30, 40" in jan.worked and "1 not there yet" in jan.worked


def test_time_to_value_of_nothing_is_blank(workspace: Workspace) -> None:
    report = metrics.time_to_value(workspace)
    assert (report.overall.n, report.overall.median, report.by_cohort, report.by_tier) == (0, None, [], [])


# Milestone rates ----------------------------------------------------------------------------------


def test_completion_and_lateness_rates_per_milestone(workspace: Workspace) -> None:
    accounts = [_on_journey(workspace, name, "enterprise", JAN) for name in "ABCD"]
    # technical-setup is due on JAN + 1 week (Jan 12): two on time, one late, one still open and stuck.
    _complete(accounts[0], "technical-setup", dt.date(2026, 1, 10))
    _complete(accounts[1], "technical-setup", dt.date(2026, 1, 12))
    _complete(accounts[2], "technical-setup", dt.date(2026, 2, 1), status="done_late")
    MilestoneProgress.objects.filter(account=accounts[3], key="technical-setup").update(status="stuck")
    MilestoneProgress.objects.filter(account=accounts[3], key="oriented").update(status="behind")

    rates = {r.key: r for r in metrics.milestone_rates(workspace, today=dt.date(2026, 1, 20))}

    setup = rates["technical-setup"]
    assert (setup.due, setup.done_of_due, setup.done, setup.late, setup.stuck) == (4, 3, 3, 1, 1)
    assert setup.completion_rate == 0.75 and setup.lateness_rate == pytest.approx(1 / 3)
    assert setup.completion_worked == "3 done / 4 due so far = 75.0%"
    assert setup.lateness_worked == "1 done late / 3 done = 33.3%"
    oriented = rates["oriented"]  # due Jan 19
    assert (oriented.due, oriented.done, oriented.behind, oriented.completion_rate, oriented.lateness_rate) == (
        4, 0, 1, 0.0, None,
    )  # fmt: skip
    renewal = rates["renewal"]  # due a year after the start: nothing due yet
    assert (renewal.due, renewal.completion_rate) == (0, None)
    assert [r.key for r in metrics.milestone_rates(workspace, today=TODAY)][:2] == ["technical-setup", "oriented"]


# Early engagement ----------------------------------------------------------------------------------


def _active_days(account: Account, start: dt.date, offsets: list[int], events: int = 3) -> None:
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(
            workspace_id=account.workspace_id, account=account, day=start + dt.timedelta(days=d), events=events
        )
        for d in offsets
    )


def test_engagement_in_the_first_90_days_against_later_retention(workspace: Workspace) -> None:
    start = dt.date(2026, 1, 1)
    engaged = _on_journey(workspace, "Engaged", "enterprise", start)
    _active_days(engaged, start, list(range(0, 40, 2)))  # 20 active days inside days 0-89
    quiet = _on_journey(workspace, "Quiet", "enterprise", start)
    # 19 active days inside, plus days outside the window that must not count.
    _active_days(quiet, start, [-1, *range(70, 89), 90, 91])
    Account.objects.filter(pk=quiet.pk).update(stage="churned")
    idle = _on_journey(workspace, "Idle", "community", start)
    _active_days(idle, start, list(range(25)), events=0)  # rows without events are not activity
    recent = _on_journey(workspace, "Recent", "community", TODAY - dt.timedelta(days=30))
    _active_days(recent, recent.journey.started_on, list(range(25)))

    report = metrics.engagement_retention(workspace, today=TODAY)

    assert (report.engaged.n, report.engaged.retained) == (1, 1)
    assert (report.not_engaged.n, report.not_engaged.retained, report.not_engaged.churned) == (2, 1, 1)
    assert report.too_early == 1
    assert report.not_engaged_share == pytest.approx(2 / 3)
    assert report.retention_ratio == 0.5
    assert report.ratio_worked == "50.0% / 100.0% = 0.50"
    assert report.share_worked == "2 not engaged / 3 past their first 90 days = 66.7%"


def test_an_account_is_counted_once_its_first_90_days_are_over(workspace: Workspace) -> None:
    start = dt.date(2026, 1, 1)
    edge = _on_journey(workspace, "Edge", "enterprise", start)
    _active_days(edge, start, [0], events=0)  # usage is recorded from its first day, with no activity
    on_day_89 = metrics.engagement_retention(workspace, today=start + dt.timedelta(days=89))
    on_day_90 = metrics.engagement_retention(workspace, today=start + dt.timedelta(days=90))
    assert (on_day_89.eligible, on_day_89.too_early) == (0, 1)
    assert (on_day_90.eligible, on_day_90.not_engaged.n, on_day_90.retention_ratio) == (1, 1, None)


def test_an_account_that_started_before_usage_was_recorded_is_not_judged(workspace: Workspace) -> None:
    start = dt.date(2026, 1, 1)
    early = _on_journey(workspace, "Early", "enterprise", start - dt.timedelta(days=400))
    judged = _on_journey(workspace, "Judged", "enterprise", start)
    _active_days(judged, start, list(range(25)))
    _active_days(early, start, list(range(25)))  # usage, but only from long after its first 90 days

    report = metrics.engagement_retention(workspace, today=TODAY)

    assert (report.eligible, report.engaged.n, report.before_history, report.history_from) == (1, 1, 1, start)
