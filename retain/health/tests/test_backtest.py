"""The backtest: past snapshots scored as of their day, churn read from the ledger, and the verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.accounts.choices import MovementKind
from retain.accounts.models import Account, Subscription, SubscriptionMovement
from retain.health.backtest import backtest, nominal_weights, snapshot_days
from retain.health.definition import parse
from retain.health.models import HealthScore
from retain.health.services import scorecard_publish
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage

SNAPSHOT = dt.date(2026, 1, 10)

ACTIVITY = """\
name: Activity
applies_to: {default: true}
measures:
- kind: active_days
  scoring:
    linear: {from: 2, to: 22}
"""


def customer(
    workspace: Workspace,
    name: str,
    *,
    active_every: int,
    churn_on: dt.date | None = None,
    started: dt.date = dt.date(2025, 6, 1),
) -> Account:
    """An account paying since `started`, active one day in `active_every` over the 40 days to SNAPSHOT."""
    account = Account.objects.create(workspace=workspace, name=name)
    subscription = Subscription.objects.create(
        workspace=workspace,
        account=account,
        product="Hub",
        currency="USD",
        seats=5,
        mrr=Decimal(100),
        started_on=started,
        term_end=started + dt.timedelta(days=365),
    )
    movement = {"workspace": workspace, "subscription": subscription, "account": account, "currency": "USD"}
    SubscriptionMovement.objects.create(
        **movement, effective_on=started, kind=MovementKind.NEW, mrr_before=Decimal(0), mrr_after=Decimal(100),
        seats_before=0, seats_after=5, product_after="Hub",
    )  # fmt: skip
    if churn_on is not None:
        SubscriptionMovement.objects.create(
            **movement, effective_on=churn_on, kind=MovementKind.CHURN, mrr_before=Decimal(100), mrr_after=Decimal(0),
            seats_before=5, seats_after=0, product_after="Hub",
        )  # fmt: skip
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace=workspace, account=account, day=SNAPSHOT - dt.timedelta(days=n), events=5)
        for n in range(0, 40, active_every)
    )
    return account


def book(workspace: Workspace, *, churners: int, stayers: int = 40) -> None:
    """Churners barely use the product and leave within the horizon; stayers use it most days.
    A few of each break the pattern, so the ranking is good but not perfect."""
    for n in range(churners):
        quiet = n % 8 != 0
        customer(workspace, f"Leaving {n}", active_every=7 if quiet else 1, churn_on=SNAPSHOT + dt.timedelta(days=30))
    for n in range(stayers):
        customer(workspace, f"Staying {n}", active_every=1 if n % 10 else 7)


@pytest.fixture
def scored(workspace: Workspace) -> Workspace:
    scorecard_publish(workspace=workspace, actor=None, text=ACTIVITY)
    return workspace


def test_a_measure_that_separates_churners_predicts_churn(scored: Workspace) -> None:
    book(scored, churners=32)
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, resamples=200)
    assert len(report.rows) == 72
    assert report.churned_accounts == 32
    assert not report.refused
    assert report.auc is not None and report.auc > 0.75
    assert report.interval is not None and 0.5 < report.interval.low < report.auc < report.interval.high
    assert (report.rate("red") or 0) > 3 * (report.rate("green") or 0)
    assert "better than chance" in report.message
    assert report.summary().startswith(f"auc={report.auc:.3f} auc_low=")
    assert report.summary().endswith("churned=32")


def test_fewer_than_30_churned_accounts_refuse_to_conclude(scored: Workspace) -> None:
    book(scored, churners=12)
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, resamples=50)
    assert report.refused
    assert report.message.startswith("Refusing to conclude: only 12 churned accounts")
    assert report.lines()[-1] == report.message


def test_the_backtest_writes_no_scores(scored: Workspace) -> None:
    book(scored, churners=3, stayers=3)
    backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, resamples=10)
    assert not HealthScore.objects.exists()


def test_only_accounts_paying_on_the_snapshot_day_are_replayed(scored: Workspace) -> None:
    gone = customer(scored, "Gone before", active_every=1, churn_on=SNAPSHOT - dt.timedelta(days=1))
    later = customer(scored, "Signed later", active_every=1, started=SNAPSHOT + dt.timedelta(days=1))
    paying = customer(scored, "Paying", active_every=1)
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, resamples=10)
    assert {row.account_id for row in report.rows} == {paying.pk}
    assert gone.pk and later.pk


def test_churn_after_the_horizon_is_not_counted(scored: Workspace) -> None:
    customer(scored, "Leaves late", active_every=7, churn_on=SNAPSHOT + dt.timedelta(days=91))
    customer(scored, "Leaves in time", active_every=7, churn_on=SNAPSHOT + dt.timedelta(days=90))
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, horizon_days=90, resamples=10)
    assert sorted(row.churned for row in report.rows) == [False, True]


def test_measures_are_replayed_as_of_each_snapshot_day(scored: Workspace) -> None:
    account = customer(scored, "Waking up", active_every=7)
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace=scored, account=account, day=SNAPSHOT + dt.timedelta(days=n), events=5)
        for n in range(1, 31)
    )
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT + dt.timedelta(days=30), resamples=10)
    by_day = {row.day: row.overall for row in report.rows}
    # 4 active days in the 28 to the first snapshot (the busy month after it does not leak in), 28 to the second.
    assert by_day == {SNAPSHOT: 10.0, SNAPSHOT + dt.timedelta(days=30): 100.0}


def test_a_draft_is_replayed_in_place_of_the_published_scorecard(scored: Workspace) -> None:
    book(scored, churners=4, stayers=4)
    draft = parse(ACTIVITY.replace("from: 2, to: 22", "from: 30, to: 40"))
    report = backtest(workspace=scored, start=SNAPSHOT, end=SNAPSHOT, definitions=[draft], resamples=10)
    assert {row.overall for row in report.rows} == {0.0}
    assert [fit.name for fit in report.fits] == ["Activity"]


def test_snapshots_run_from_start_to_end_every_step() -> None:
    assert snapshot_days(dt.date(2026, 1, 1), dt.date(2026, 3, 1), 30) == [dt.date(2026, 1, 1), dt.date(2026, 1, 31)]
    assert snapshot_days(dt.date(2026, 1, 1), dt.date(2026, 1, 1), 30) == [dt.date(2026, 1, 1)]
    with pytest.raises(ValueError, match="before it starts"):
        snapshot_days(dt.date(2026, 2, 1), dt.date(2026, 1, 1), 30)


def test_nominal_weights_are_each_measure_s_share_of_the_overall_score() -> None:
    card = parse(
        """\
name: Two groups
applies_to: {default: true}
groups:
- name: usage
  weight: 3
  measures:
  - {kind: active_days, weight: 2, scoring: {linear: {from: 0, to: 20}}}
  - {kind: logins, weight: 1, scoring: {linear: {from: 0, to: 20}}}
- name: sentiment
  weight: 1
  measures:
  - {kind: nps, scoring: {linear: {from: -50, to: 50}}}
"""
    )
    assert nominal_weights(card) == pytest.approx({"active_days": 50, "logins": 25, "nps": 25})


def test_the_command_prints_the_report_and_ends_with_the_summary(scored: Workspace) -> None:
    book(scored, churners=3, stayers=3)
    out = StringIO()
    call_command(
        "health", "backtest", "--workspace", scored.slug, "--from", str(SNAPSHOT), "--to", str(SNAPSHOT), stdout=out
    )
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith(f"Backtest {SNAPSHOT} to {SNAPSHOT}: 1 snapshots")
    assert any(line.startswith("Refusing to conclude: only 3 churned accounts") for line in lines)
    assert lines[-1].startswith("auc=") and lines[-1].endswith("churned=3")


def test_the_command_refuses_a_window_that_ends_before_it_starts(scored: Workspace) -> None:
    with pytest.raises(CommandError, match="is before --from"):
        call_command("health", "backtest", "--workspace", scored.slug, "--from", "2026-02-01", "--to", "2026-01-01")


def test_the_command_names_an_unknown_workspace(db: None) -> None:
    with pytest.raises(CommandError, match="no workspace with slug 'nowhere'"):
        call_command("health", "backtest", "--workspace", "nowhere", "--from", "2026-01-01", "--to", "2026-02-01")
