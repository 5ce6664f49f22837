"""Demo step: the commercial history behind the revenue metrics.

- Closed renewals for every subscription term that ended in the last 12 months, read from the ledger
  the accounts step wrote (the movements already exist, so the rows are written directly rather than
  through `renewal_close`): churned, renewed with expansion or contraction, or renewed as it was, with
  reason codes from the default library that fit what happened to the account.
- The "renewal window opened" entry of each of those terms, as the daily job would have written it,
  so eligible churn has the revenue that was due (not only the revenue that left).
- Open renewals for the terms whose window is open today (the real `renewals_open`), worked by their
  owners through `renewal_update`: moved to the stage their days left suggest, and forecast (category
  and amount) for most of those due soon, fewer further out; the rest stay "not forecast yet".
- Monthly sales-and-marketing and customer-success spend for the 13 calendar months the last year
  touches, sized from the ledger so CAC sits near the seed's $1.00 per $1.15 of new ACV and CRC
  near 12%.
- A quota per CSM for the calendar year: the book should end it at 120% of its starting ARR.

Add-ons are co-termed with the main subscription (world.py), so every term of an account ends on
the anniversary of the day it became a customer.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from retain.accounts import timeline
from retain.accounts.models import Subscription, TimelineEntry
from retain.accounts.selectors import rate_table
from retain.demo.generator.context import DemoContext
from retain.demo.generator.world import HISTORY_DAYS, AccountPlan, SubscriptionPlan, add_years
from retain.lib.money import quantize
from retain.metrics.choices import SpendCategory
from retain.metrics.models import DEFAULT_TARGET_NRR, Quota, Spend
from retain.renewals.choices import ForecastCategory, Outcome, ReasonKind, Stage
from retain.renewals.models import ReasonCode, Renewal
from retain.renewals.services import reason_codes_seed, renewal_update, renewals_open
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

VIA = "demo"
BATCH = 1000
ACV_PER_DOLLAR = Decimal("1.15")  # seed 003: $1.00 of sales and marketing brings $1.15 of new ACV
CS_SHARE_OF_ARR = Decimal("0.12")  # seed 003: customer success costs 12% of the ARR it keeps


@dataclass(frozen=True)
class PastTerm:
    """One subscription term that ended in the history window, and what the ledger did on its last day."""

    account: AccountPlan
    subscription: SubscriptionPlan
    term_end: dt.date
    mrr_before: Decimal
    mrr_after: Decimal
    product_changed: bool

    @property
    def outcome(self) -> Outcome:
        if self.mrr_after == 0:
            return Outcome.CHURNED
        if self.mrr_after > self.mrr_before:
            return Outcome.RENEWED_EXPANSION
        if self.mrr_after < self.mrr_before:
            return Outcome.RENEWED_CONTRACTION
        return Outcome.RENEWED


def _mrr_through(subscription: SubscriptionPlan, day: dt.date, *, inclusive: bool) -> tuple[Decimal, str]:
    mrr, product = Decimal(0), ""
    for movement in subscription.movements:
        if movement.on < day or (inclusive and movement.on == day):
            mrr, product = movement.mrr, movement.product
    return mrr, product


def past_terms(account: AccountPlan, start: dt.date, today: dt.date) -> Iterator[PastTerm]:
    """The terms of the account's subscriptions that ended from `start` to `today`, in date order."""
    end = add_years(account.customer_since, 1)
    while end <= today:
        if end >= start:
            for subscription in account.subscriptions:
                if subscription.started_on >= end or (subscription.ended_on and subscription.ended_on < end):
                    continue
                before, product_before = _mrr_through(subscription, end, inclusive=False)
                if before <= 0:
                    continue
                after, product_after = _mrr_through(subscription, end, inclusive=True)
                yield PastTerm(account, subscription, end, before, after, product_after != product_before)
        end = add_years(end, 1)


def _reason_labels(term: PastTerm, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, label) of the reasons a CSM would record, from what is known about the account."""
    account, outcome = term.account, term.outcome
    if outcome == Outcome.CHURNED:
        champion = account.people[0]
        engagement = account.mean_latent(term.term_end - dt.timedelta(days=91), term.term_end)
        if champion.left_on is not None and champion.left_on <= term.term_end:
            first = "Champion left"
        elif term.subscription is not account.subscriptions[0]:
            first = "Low adoption"
        elif engagement < -0.5:
            first = rng.choice(("Low adoption", "Missing functionality"))
        else:
            first = rng.choice(("Budget cut", "Moved to a competitor", "Company acquired or closed"))
        reasons: list[tuple[str, str]] = [(ReasonKind.CHURN, first)]
        if rng.random() < 0.2:
            extra = rng.choice(("Poor support experience", "Missing functionality", "Budget cut"))
            if extra != first:
                reasons.append((ReasonKind.CHURN, extra))
        return reasons
    if outcome == Outcome.RENEWED_EXPANSION:
        label = "Upgraded edition" if term.product_changed else "More seats"
        return [(ReasonKind.EXPANSION, label)]
    if outcome == Outcome.RENEWED_CONTRACTION:
        return [(ReasonKind.DOWNGRADE, rng.choice(("Fewer seats needed", "Fewer seats needed", "Budget reduced")))]
    return []


def _closed_category(term: PastTerm) -> str:
    """A closed renewal is lost or committed, as `renewal_close` leaves it."""
    if term.outcome == Outcome.CHURNED:
        return ForecastCategory.LOST
    return ForecastCategory.COMMIT


def _open_call(plan: AccountPlan, renewal: Renewal, today: dt.date) -> tuple[str, str]:
    """(stage, forecast category) of an open renewal: how far it has got by now, and the CSM's read of
    the account from the last two months' engagement (what the usage and health pages show)."""
    days_left = (renewal.term_end - today).days
    stage = Stage.OPEN if days_left > 60 else Stage.ENGAGED if days_left > 30 else Stage.PROPOSAL
    recent = plan.mean_latent(today - dt.timedelta(days=60), today)
    if recent > 0.4:
        return stage, ForecastCategory.COMMIT
    if recent < -0.6:
        return stage, ForecastCategory.AT_RISK
    return stage, ForecastCategory.PROBABLE


# How likely the owner has forecast a renewal by now, by days left to its term end: nearly every one
# in the last six weeks, most of those in the 90-day process, few that opened early (strategic ones).
FORECAST_BY_DAYS_LEFT = ((45, 0.95), (90, 0.7), (10_000, 0.3))
# The share of the target a CSM puts down for each call: a commit at the target (now and then with the
# uplift the account talked about), a probable a little under it, an at-risk around half.
FORECAST_SHARE = {
    ForecastCategory.COMMIT: (1.0, 1.0),
    ForecastCategory.PROBABLE: (0.8, 1.0),
    ForecastCategory.AT_RISK: (0.3, 0.7),
}
COMMIT_UPLIFT = (0.15, 1.1)  # (how often, by how much) a committed renewal is forecast with an expansion


def _forecast(category: str, target: Decimal, rng: random.Random) -> Decimal:
    """The amount a CSM writes down: a share of the target, rounded to the hundred as people do."""
    low, high = FORECAST_SHARE[ForecastCategory(category)]
    share = rng.uniform(low, high)
    if category == ForecastCategory.COMMIT and rng.random() < COMMIT_UPLIFT[0]:
        share = COMMIT_UPLIFT[1]
    return (target * Decimal(str(share)) / 100).quantize(Decimal(1)) * 100


def _work_open_renewals(ctx: DemoContext) -> int:
    """Each open renewal's owner moves it to its stage and, for most of those due soon, forecasts it,
    through `renewal_update` as the renewal page does; the rest stay "not forecast yet". Returns how
    many were forecast."""
    plans = {plan.external_id: plan for plan in ctx.world.accounts}
    still_open = (
        Renewal.objects.filter(workspace=ctx.ws)
        .exclude(stage=Stage.CLOSED)
        .select_related("account", "workspace", "owner")
        .order_by("term_end", "pk")
    )
    forecast = 0
    for renewal in still_open:
        rng = ctx.rng("forecast", renewal.account.external_id, renewal.term_end.isoformat())
        stage, category = _open_call(plans[renewal.account.external_id], renewal, ctx.today)
        days_left = (renewal.term_end - ctx.today).days
        chance = next(share for within, share in FORECAST_BY_DAYS_LEFT if days_left <= within)
        fields: dict[str, object] = {"stage": stage}
        if renewal.owner is not None and rng.random() < chance:
            amount = _forecast(category, renewal.target_amount, rng)
            fields |= {"forecast_category": category, "forecast_amount": amount}
            forecast += 1
        renewal_update(renewal=renewal, actor=renewal.owner, **fields)
    return forecast


def build_renewals(ctx: DemoContext) -> str:
    workspace = ctx.ws
    table = rate_table(workspace)
    reason_codes_seed(workspace=workspace)
    codes = {(r.kind, r.label): r for r in ReasonCode.objects.filter(workspace=workspace)}
    subscriptions = {s.external_id: s for s in Subscription.objects.filter(workspace=workspace)}
    start = ctx.today - dt.timedelta(days=HISTORY_DAYS - 1)
    rows: list[tuple[Renewal, list[ReasonCode]]] = []
    windows: list[TimelineEntry] = []
    for plan in ctx.world.accounts:
        account = ctx.accounts[plan.external_id]
        rng = ctx.rng("renewals", plan.external_id)
        window = workspace.renewal_window_days(plan.tier)
        for term in past_terms(plan, start, ctx.today):
            subscription = subscriptions[term.subscription.key]
            subscription.account = account
            currency = term.subscription.currency
            target = quantize(table.convert(term.mrr_before * 12, currency, term.term_end))
            final = quantize(table.convert(term.mrr_after * 12, currency, term.term_end))
            outcome = term.outcome
            opened = max(term.term_end - dt.timedelta(days=window), plan.customer_since)
            closed_on = term.term_end - dt.timedelta(days=rng.randint(0, min(20, window)))
            renewal = Renewal(
                workspace=workspace,
                account=account,
                subscription=subscription,
                term_end=term.term_end,
                owner_id=account.owner_id,
                stage=Stage.CLOSED,
                forecast_category=_closed_category(term),
                target_amount=target,
                forecast_amount=final,
                final_amount=final,
                close_date=closed_on,
                outcome=outcome,
                opened_at=ctx.at(opened, 7),
                closed_at=ctx.at(closed_on, 15),
            )
            reasons = [codes[label] for label in _reason_labels(term, rng) if label in codes]
            rows.append((renewal, reasons))
            # What the daily job wrote when that term's window opened (the subscription as it was then).
            then = copy.copy(subscription)
            then.term_end, then.mrr = term.term_end, term.mrr_before
            windows.append(
                timeline.renewal_window_opened_entry(
                    then, opened_on=opened, window_days=window, occurred_at=renewal.opened_at - dt.timedelta(hours=1)
                )
            )
    with transaction.atomic():
        Renewal.objects.bulk_create([r for r, _ in rows], batch_size=BATCH)
        Through = Renewal.reasons.through
        Through.objects.bulk_create(
            [Through(renewal_id=r.pk, reasoncode_id=code.pk) for r, reasons in rows for code in reasons],
            batch_size=BATCH,
        )
        entries = windows
        for renewal, reasons in rows:
            assert renewal.opened_at is not None and renewal.closed_at is not None
            entries.append(timeline.renewal_opened_entry(renewal, occurred_at=renewal.opened_at))
            closed = timeline.renewal_closed_entry(renewal, reasons=[r.label for r in reasons], actor=None, via=VIA)
            closed.occurred_at = renewal.closed_at
            entries.append(closed)
        TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    opened_now = renewals_open(workspace=workspace, today=ctx.today)
    forecast = _work_open_renewals(ctx)
    outcomes = {o: sum(1 for r, _ in rows if r.outcome == o) for o in Outcome.values}
    ctx.counts["renewals_closed"] = len(rows)
    ctx.counts["renewals_open"] = opened_now
    ctx.counts["renewals_forecast"] = forecast
    said = ", ".join(f"{count} {Outcome(o).label.lower()}" for o, count in outcomes.items())
    return f"{len(rows)} closed renewals ({said}), {opened_now} open ({forecast} forecast by their owners)"


# Spend and quotas --------------------------------------------------------------------------------


def _months(today: dt.date, count: int = 12) -> list[tuple[dt.date, dt.date]]:
    """The `count` calendar months up to and including today's, each (first day, last day)."""
    months = []
    for back in range(count - 1, -1, -1):
        first = today.replace(day=1) - relativedelta(months=back)
        months.append((first, first + relativedelta(months=1, days=-1)))
    return months


def build_spend_and_quotas(ctx: DemoContext) -> str:
    """Monthly spend sized from the planned ledger, and a 120% net-retention quota per CSM."""
    workspace = ctx.ws
    table = rate_table(workspace)
    rng = ctx.rng("spend")
    months = _months(ctx.today, 13)  # the months of the last 365 days: the first one only in part
    new_arr = dict.fromkeys(months, Decimal(0))
    arr_at_start = dict.fromkeys(months, Decimal(0))
    for plan in ctx.world.accounts:
        for subscription in plan.subscriptions:
            for movement in subscription.movements:
                if movement.kind in ("new", "reactivation"):
                    for first, last in months:
                        if first <= movement.on <= last:
                            arr = table.convert(movement.mrr * 12, subscription.currency, movement.on)
                            new_arr[(first, last)] += arr
            for first, last in months:
                mrr, _ = _mrr_through(subscription, first, inclusive=False)
                if mrr:
                    arr_at_start[(first, last)] += table.convert(mrr * 12, subscription.currency, first)
    spends = []
    for first, last in months:
        # Marketing is paid ahead of the deals it brings: smooth it and let it wobble month to month.
        # The month still running is entered for its whole length: what it brings so far, scaled up.
        elapsed = Decimal((last - first).days + 1) / Decimal((min(last, ctx.today) - first).days + 1)
        sales = new_arr[(first, last)] * elapsed / ACV_PER_DOLLAR * Decimal(str(rng.uniform(0.85, 1.15)))
        success = arr_at_start[(first, last)] * CS_SHARE_OF_ARR / 12 * Decimal(str(rng.uniform(0.95, 1.05)))
        for category, amount in ((SpendCategory.SALES_MARKETING, sales), (SpendCategory.CUSTOMER_SUCCESS, success)):
            spends.append(
                Spend(
                    workspace=workspace,
                    category=category,
                    period_start=first,
                    period_end=last,
                    amount=quantize(amount),
                    note="Monthly close",
                )
            )
    year_start, year_end = dt.date(ctx.today.year, 1, 1), dt.date(ctx.today.year, 12, 31)
    csms = Member.objects.filter(workspace=workspace, role=Role.CSM, is_active=True).order_by("pk")
    quotas = [
        Quota(
            workspace=workspace,
            member=member,
            period_start=year_start,
            period_end=year_end,
            target_nrr=DEFAULT_TARGET_NRR,
        )
        for member in csms
    ]
    with transaction.atomic():
        Spend.objects.bulk_create(spends, batch_size=BATCH)
        Quota.objects.bulk_create(quotas, batch_size=BATCH)
    total_sales = sum((s.amount for s in spends if s.category == SpendCategory.SALES_MARKETING), Decimal(0))
    total_success = sum((s.amount for s in spends if s.category == SpendCategory.CUSTOMER_SUCCESS), Decimal(0))
    return (
        f"{len(spends)} monthly spend rows ({workspace.currency} {total_sales:,.0f} sales and marketing, "
        f"{total_success:,.0f} customer success), {len(quotas)} CSM quotas at {DEFAULT_TARGET_NRR:.0%} NRR"
    )
