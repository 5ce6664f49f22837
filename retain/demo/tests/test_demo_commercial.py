"""The demo's commercial history: closed renewals that match the ledger, open ones, spend and quotas,
and retention near the targets (about 90% gross, 105–115% net, community worse)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from retain.accounts.choices import EntryKind, MovementKind, Tier
from retain.accounts.figures import Period
from retain.accounts.models import SubscriptionMovement, TimelineEntry
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.demo.generator.renewals import past_terms
from retain.demo.generator.world import RATES_TO_USD, AccountPlan, World, plan_world
from retain.metrics.choices import SpendCategory
from retain.metrics.engine import revenue_metrics
from retain.metrics.models import Quota, Spend
from retain.metrics.spend import spend_figures
from retain.renewals import selectors
from retain.renewals.choices import NOT_FORECAST, ForecastCategory, Outcome, ReasonKind, Stage
from retain.renewals.models import Renewal
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_demo_commercial")

TODAY = dt.date(2026, 11, 20)
NEEDED = {"team", "accounts and subscriptions", "renewal windows", "renewals", "spend and quotas"}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=3, size=250, today=TODAY, steps=[s for s in STEPS if s.name in NEEDED])
        yield ctx
        demo_delete()


# Retention of the plan, as the engine counts it (accounts active the day before the year began) ----


def _mrr_on(account: AccountPlan, day: dt.date) -> Decimal:
    total = Decimal(0)
    for subscription in account.subscriptions:
        mrr = Decimal(0)
        for movement in subscription.movements:
            if movement.on <= day:
                mrr = movement.mrr
        total += mrr * Decimal(str(RATES_TO_USD.get(subscription.currency, 1.0)))
    return total


def _retention(world: World, tier: str | None = None) -> tuple[float, float]:
    eve = world.window_start - dt.timedelta(days=1)
    start = end = capped = Decimal(0)
    for account in world.accounts:
        if tier is not None and account.tier != tier:
            continue
        before = _mrr_on(account, eve)
        if before <= 0:
            continue
        after = _mrr_on(account, world.today)
        start, end, capped = start + before, end + after, capped + min(before, after)
    return float(capped / start), float(end / start)


@pytest.fixture(scope="module")
def worlds() -> list[World]:
    return [plan_world(seed=seed, size=1500, today=TODAY) for seed in (11, 42)]


def test_the_plan_keeps_about_90_percent_gross_and_grows_105_to_115_percent_net(worlds: list[World]) -> None:
    for world in worlds:
        grr, nrr = _retention(world)
        assert 0.85 <= grr <= 0.94, (world.seed, grr)
        assert 1.03 <= nrr <= 1.17, (world.seed, nrr)


def test_community_keeps_less_and_grows_less_than_the_contracted_tiers(worlds: list[World]) -> None:
    for world in worlds:
        community = _retention(world, Tier.COMMUNITY)
        enterprise = _retention(world, Tier.ENTERPRISE)
        overall = _retention(world)
        assert community[0] < enterprise[0] and community[0] < overall[0]
        assert community[1] < enterprise[1] and community[1] < overall[1]
        assert 0.7 <= community[0] <= 0.88


def test_past_terms_end_on_anniversaries_inside_the_window(worlds: list[World]) -> None:
    world = worlds[0]
    for account in world.accounts[:300]:
        for term in past_terms(account, world.window_start, world.today):
            assert world.window_start <= term.term_end <= world.today
            assert (term.term_end.month, term.term_end.day) == (
                account.customer_since.month,
                account.customer_since.day,
            ) or account.customer_since.day == 29


# What the step writes ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_closed_renewal_matches_the_movements_on_its_term_end(demo: DemoContext) -> None:
    closed = list(Renewal.objects.filter(workspace=demo.ws, stage=Stage.CLOSED).select_related("subscription"))
    assert len(closed) > 50
    outcomes = {r.outcome for r in closed}
    assert {Outcome.RENEWED, Outcome.CHURNED, Outcome.RENEWED_EXPANSION} <= outcomes
    moves: dict[tuple[int, dt.date], list[str]] = {}
    for subscription_id, on, kind in SubscriptionMovement.objects.filter(workspace=demo.ws).values_list(
        "subscription_id", "effective_on", "kind"
    ):
        moves.setdefault((subscription_id, on), []).append(kind)
    expected = {
        Outcome.CHURNED: MovementKind.CHURN,
        Outcome.RENEWED_EXPANSION: MovementKind.EXPANSION,
        Outcome.RENEWED_CONTRACTION: MovementKind.CONTRACTION,
    }
    for renewal in closed:
        kinds = moves.get((renewal.subscription_id, renewal.term_end), [])
        if renewal.outcome == Outcome.RENEWED:
            assert not kinds, renewal
            assert renewal.final_amount == renewal.target_amount
        else:
            assert kinds == [expected[Outcome(renewal.outcome)]], (renewal, kinds)
        assert renewal.term_end <= TODAY
        assert renewal.closed_at is not None and renewal.opened_at < renewal.closed_at
        if renewal.outcome == Outcome.CHURNED:
            assert renewal.final_amount == 0
            assert renewal.forecast_category == ForecastCategory.LOST
        else:
            assert renewal.forecast_category == ForecastCategory.COMMIT


@pytest.mark.django_db
def test_outcomes_that_need_reasons_cite_codes_of_the_right_kind(demo: DemoContext) -> None:
    wanted = {
        Outcome.CHURNED: ReasonKind.CHURN,
        Outcome.RENEWED_EXPANSION: ReasonKind.EXPANSION,
        Outcome.RENEWED_CONTRACTION: ReasonKind.DOWNGRADE,
    }
    for renewal in Renewal.objects.filter(workspace=demo.ws, stage=Stage.CLOSED).prefetch_related("reasons"):
        kinds = {reason.kind for reason in renewal.reasons.all()}
        if renewal.outcome == Outcome.RENEWED:
            assert kinds == set()
        else:
            assert kinds == {wanted[Outcome(renewal.outcome)]}


@pytest.mark.django_db
def test_renewals_are_on_the_timeline_and_open_windows_have_open_renewals(demo: DemoContext) -> None:
    closed = Renewal.objects.filter(workspace=demo.ws, stage=Stage.CLOSED).count()
    entries = TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.RENEWAL_CLOSED)
    assert entries.count() == closed
    assert all(e.occurred_at.date() <= TODAY for e in entries)
    open_renewals = Renewal.objects.filter(workspace=demo.ws).exclude(stage=Stage.CLOSED)
    assert open_renewals.exists()
    assert all(r.term_end >= TODAY for r in open_renewals)


@pytest.mark.django_db
def test_spend_gives_cac_and_crc_near_the_seed_and_every_csm_has_a_quota(demo: DemoContext) -> None:
    assert Spend.objects.filter(workspace=demo.ws, category=SpendCategory.SALES_MARKETING).count() == 13
    assert Spend.objects.filter(workspace=demo.ws, category=SpendCategory.CUSTOMER_SUCCESS).count() == 13
    period = Period(TODAY - dt.timedelta(days=364), TODAY)  # the dashboard's last 12 months
    figures = spend_figures(demo.ws, period, metrics=revenue_metrics(demo.ws, period))
    assert figures.acv_per_dollar.value is not None and 1.0 <= figures.acv_per_dollar.value <= 1.3
    assert figures.crc.value is not None and 0.09 <= figures.crc.value <= 0.15
    csms = set(Member.objects.filter(workspace=demo.ws, role=Role.CSM).values_list("pk", flat=True))
    quotas = Quota.objects.filter(workspace=demo.ws)
    assert set(quotas.values_list("member_id", flat=True)) == csms
    assert all(q.target_nrr == Decimal("1.2") and q.period_start <= TODAY <= q.period_end for q in quotas)


@pytest.mark.django_db
def test_owners_forecast_most_renewals_due_soon_and_their_forecasts_are_their_own(demo: DemoContext) -> None:
    open_renewals = list(Renewal.objects.filter(workspace=demo.ws).exclude(stage=Stage.CLOSED))
    forecast = [r for r in open_renewals if r.is_forecast]
    waiting = [r for r in open_renewals if not r.is_forecast]
    assert forecast and waiting  # some set, some not yet, as in a real team
    assert demo.counts["renewals_forecast"] == len(forecast)
    soon = [r for r in open_renewals if (r.term_end - TODAY).days <= 45]
    assert sum(r.is_forecast for r in soon) >= 0.8 * len(soon)
    assert all(r.forecast_amount is None for r in waiting)
    # Not a copy of the target: at-risk calls sit well under it, and the board's forecast differs from it.
    for renewal in forecast:
        assert renewal.forecast_amount is not None and renewal.forecast_amount % 100 == 0
        if renewal.forecast_category == ForecastCategory.AT_RISK:
            assert renewal.forecast_amount < Decimal("0.75") * renewal.target_amount
    assert any(r.forecast_amount != r.target_amount for r in forecast)
    board = selectors.board(demo.ws, 180, today=TODAY)
    assert board.forecast_count == len([r for r in forecast if (r.term_end - TODAY).days <= 180])
    assert board.not_forecast.count > 0 and board.forecast_arr < board.target_arr - board.not_forecast.target_arr


@pytest.mark.django_db
def test_the_engine_reads_plausible_retention_from_the_written_ledger(demo: DemoContext) -> None:
    metrics = revenue_metrics(demo.ws, Period(TODAY - dt.timedelta(days=364), TODAY))
    assert metrics.grr.value is not None and 0.75 <= metrics.grr.value <= 0.97
    assert metrics.nrr.value is not None and 0.95 <= metrics.nrr.value <= 1.25


@pytest.mark.django_db
def test_past_terms_have_their_renewal_window_entry_so_eligible_churn_counts_what_was_due(demo: DemoContext) -> None:
    closed = Renewal.objects.filter(workspace=demo.ws, stage=Stage.CLOSED)
    keys = {f"renewal_window:{r.subscription_id}:{r.term_end.isoformat()}" for r in closed}
    written = set(
        TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.RENEWAL_WINDOW_OPENED).values_list(
            "dedupe_key", flat=True
        )
    )
    assert keys <= written
    metrics = revenue_metrics(demo.ws, Period(TODAY - dt.timedelta(days=364), TODAY))
    assert metrics.eligible_churn.value is not None and 0.03 <= metrics.eligible_churn.value <= 0.4


@pytest.mark.django_db
def test_open_renewals_are_spread_over_forecast_categories_by_engagement(demo: DemoContext) -> None:
    open_renewals = Renewal.objects.filter(workspace=demo.ws).exclude(stage=Stage.CLOSED)
    categories = set(open_renewals.values_list("forecast_category", flat=True)) - {NOT_FORECAST}
    assert ForecastCategory.LOST not in categories
    assert len(categories) >= 2
    for renewal in open_renewals:
        if (renewal.term_end - TODAY).days <= 30:
            assert renewal.stage == Stage.PROPOSAL
