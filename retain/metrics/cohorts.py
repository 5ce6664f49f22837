"""Renewal cohorts from the subscription ledger, and the shifted-beta-geometric model fitted to them.

An account's life is read from its ledger movements: it starts on the first day its subscriptions
together pay something, and is lost on the first day after that when they together pay nothing (a
later reactivation does not put it back in its cohort: a contractual cohort only shrinks). Accounts
are grouped per tier by the quarter they started in; active[t] counts the members still paying on
their own t-th anniversary. A cohort is observed for t periods once its last member could have
reached its t-th anniversary, so every count is complete.

The period is the contract term, a year. A workspace with less than `YEARLY_HISTORY_YEARS` of
history (the demo has about a year) uses quarters instead, and the page says so: the fitted
retention is then per quarter, and the DEL/DERL discount rate is the annual one converted to a
quarter.

`retention_by_tier` fits `fit_sbg_cohorts` per tier and gives the projected curve beside the
observed one, DEL, and `clv_comparison` (the seed formula against the DERL-based value). A tier with
too little history is not fitted; it carries the reason instead.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from retain.accounts.choices import Tier
from retain.accounts.models import Account, SubscriptionMovement
from retain.accounts.selectors import rate_table, workspace_today
from retain.lib.money import RateTable
from retain.metrics import retention
from retain.tenancy.models import Workspace

YEARLY_HISTORY_YEARS = 3
MIN_FIT_ACCOUNTS = 10
MIN_OBSERVED_PERIODS = 2
GROSS_MARGIN = 0.75  # seed 003's example margin, used for both CLVs
ANNUAL_DISCOUNT = 0.10
PROJECTED_PERIODS = 8


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)


@dataclass
class AccountLedger:
    """One account's MRR history: per subscription the movements in date order."""

    account_id: int
    tier: str
    edition: str
    # (effective_on, subscription_id, mrr_after, currency, seats_after), in ledger order
    movements: list[tuple[dt.date, int, Decimal, str, int]] = field(default_factory=list)

    def totals(self) -> list[tuple[dt.date, bool]]:
        """After each day with movements: does the account pay anything?"""
        current: dict[int, Decimal] = {}
        days: list[tuple[dt.date, bool]] = []
        for day, subscription_id, mrr, _currency, _seats in self.movements:
            current[subscription_id] = mrr
            paying = any(value > 0 for value in current.values())
            if days and days[-1][0] == day:
                days[-1] = (day, paying)
            else:
                days.append((day, paying))
        return days

    @property
    def started_on(self) -> dt.date | None:
        return next((day for day, paying in self.totals() if paying), None)

    @property
    def lost_on(self) -> dt.date | None:
        """The first day after the start on which nothing is paid any more."""
        return self.lost_after(dt.date.min)

    def lost_after(self, day: dt.date) -> dt.date | None:
        """The first day after `day` on which the account goes from paying to paying nothing."""
        paying_before = False
        for when, paying in self.totals():
            if when > day and paying_before and not paying:
                return when
            paying_before = paying
        return None

    def in_force(self, day: dt.date) -> dict[int, tuple[Decimal, str, int]]:
        """Per subscription, the (MRR, currency, seats) of its latest movement on or before `day`."""
        found: dict[int, tuple[Decimal, str, int]] = {}
        for when, subscription_id, mrr, currency, seats in self.movements:
            if when > day:
                break
            found[subscription_id] = (mrr, currency, seats)
        return found

    def mrr_on(self, day: dt.date, table: RateTable) -> float:
        total = Decimal(0)
        for mrr, currency, _seats in self.in_force(day).values():
            total += table.convert(mrr, currency, day) if table.covers(currency, day) else mrr
        return float(total)

    def seats_on(self, day: dt.date) -> int:
        return sum(seats for mrr, _currency, seats in self.in_force(day).values() if mrr > 0)

    def days_to_anniversary(self, day: dt.date, months: int = 12) -> int | None:
        """Days from `day` to the next anniversary of a paying subscription's first movement (its next
        renewal under terms of `months`). Read from the ledger, not from the subscription's term end,
        which is today's: on a past day it would tell the renewed accounts from the lost ones."""
        first: dict[int, dt.date] = {}
        for when, subscription_id, _mrr, _currency, _seats in self.movements:
            first.setdefault(subscription_id, when)
        upcoming = []
        for subscription_id, (mrr, _currency, _seats) in self.in_force(day).items():
            if mrr <= 0:
                continue
            start, k = first[subscription_id], 1
            while add_months(start, k * months) < day:
                k += 1
            upcoming.append((add_months(start, k * months) - day).days)
        return min(upcoming, default=None)

    def paying_on(self, day: dt.date) -> bool:
        return any(mrr > 0 for mrr, _currency, _seats in self.in_force(day).values())


def ledgers(workspace: Workspace) -> dict[int, AccountLedger]:
    """Every account's ledger, from one query over the movements and one over the accounts."""
    found = {
        pk: AccountLedger(account_id=pk, tier=tier, edition=edition)
        for pk, tier, edition in Account.objects.filter(workspace=workspace).values_list("id", "tier", "edition")
    }
    rows = (
        SubscriptionMovement.objects.filter(workspace=workspace)
        .order_by("account_id", "effective_on", "id")
        .values_list("account_id", "effective_on", "subscription_id", "mrr_after", "currency", "seats_after")
    )
    for account_id, day, subscription_id, mrr, currency, seats in rows:
        found[account_id].movements.append((day, subscription_id, mrr, currency, seats))
    return found


@dataclass(frozen=True)
class Cohort:
    """The accounts of one tier that started in one period, and how many were active at each anniversary."""

    label: str
    starts: dt.date  # first day of the period they started in
    active: list[int]  # active[0] = size; active[t] = still paying at the t-th anniversary


@dataclass(frozen=True)
class CurvePoint:
    period: int
    observed: float | None  # share of the observed cohorts still active (None past what was observed)
    fitted: float | None


@dataclass(frozen=True)
class TierRetention:
    """One tier's cohorts and, when there was enough history, the fitted model and what it implies."""

    tier: str
    label: str
    cohorts: list[Cohort]
    refusal: str = ""
    fit: retention.SbgFit | None = None
    curve: list[CurvePoint] = field(default_factory=list)
    observed_churn: float | None = None  # lost / at risk, per period, pooled over the cohorts
    monthly_churn: float | None = None
    average_mrr: float | None = None
    renewals: int = 0
    discounted_lifetime: float | None = None  # DEL, in periods
    clv: retention.ClvComparison | None = None

    @property
    def tenure_note(self) -> str:
        """Said when the fit sees retention flat with tenure, where the CLV explanation's "those who
        stay are worth more" does not apply."""
        if self.fit is None or self.clv is None:
            return ""
        if self.clv.later_retention - self.clv.first_retention >= 0.01:
            return ""
        return (
            f"Here retention hardly rises with tenure ({self.clv.first_retention:.1%} at the first renewal, "
            f"{self.clv.later_retention:.1%} later): these customers behave alike, so the fitted model and a "
            f"constant churn rate agree, and the two values differ mostly by the discounting."
        )


@dataclass(frozen=True)
class RetentionReport:
    period_months: int
    today: dt.date
    first_start: dt.date | None
    tiers: list[TierRetention]
    discount: float  # per period

    @property
    def period_name(self) -> str:
        return "year" if self.period_months == 12 else "quarter"


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _quarter_label(start: dt.date) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def build_cohorts(
    lives: Iterable[tuple[dt.date, dt.date | None]], *, period_months: int, today: dt.date
) -> list[Cohort]:
    """Group (started_on, lost_on) pairs by the quarter they started in and count each anniversary's
    survivors, anniversaries `period_months` apart. Quarters even for yearly periods: a cohort's count
    at t is complete once its last member's t-th anniversary has passed, so a cohort spanning a year
    would wait up to a year longer for each renewal than one spanning a quarter."""
    groups: dict[dt.date, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for started, lost in lives:
        groups[_quarter_start(started)].append((started, lost))
    cohorts = []
    for starts, members in sorted(groups.items()):
        last_start = add_months(starts, 3) - dt.timedelta(days=1)
        active = [len(members)]
        t = 1
        while add_months(last_start, t * period_months) <= today:
            anniversary_alive = sum(
                1 for started, lost in members if lost is None or lost > add_months(started, t * period_months)
            )
            active.append(anniversary_alive)
            t += 1
        cohorts.append(Cohort(label=_quarter_label(starts), starts=starts, active=active))
    return cohorts


def choose_period_months(first_start: dt.date | None, today: dt.date) -> int:
    """Years when the history covers YEARLY_HISTORY_YEARS of them, else quarters."""
    if first_start is not None and add_months(first_start, 12 * YEARLY_HISTORY_YEARS) <= today:
        return 12
    return 3


def fit_tier(
    tier: str,
    label: str,
    cohorts: list[Cohort],
    *,
    period_months: int,
    discount: float,
    average_mrr: float | None,
    renewals: int,
) -> TierRetention:
    """Fit the sBG to a tier's observed cohorts, or say why not."""
    period = "year" if period_months == 12 else "quarter"
    observed = [cohort.active for cohort in cohorts if len(cohort.active) >= 2]
    accounts = sum(active[0] for active in observed)
    longest = max((len(active) - 1 for active in observed), default=0)
    if accounts < MIN_FIT_ACCOUNTS:
        refusal = (
            f"{accounts} account(s) have been customers for a full {period}; "
            f"the model needs at least {MIN_FIT_ACCOUNTS} to fit"
        )
        return TierRetention(tier=tier, label=label, cohorts=cohorts, refusal=refusal)
    if longest < MIN_OBSERVED_PERIODS:
        refusal = (
            f"the oldest cohort has been observed for {longest} {period}(s); at least {MIN_OBSERVED_PERIODS} "
            f"are needed to see whether retention rises with tenure"
        )
        return TierRetention(tier=tier, label=label, cohorts=cohorts, refusal=refusal)
    lost = sum(active[t - 1] - active[t] for active in observed for t in range(1, len(active)))
    if lost == 0:
        refusal = (
            "no account was lost at an observed renewal: with no churn there is no retention curve "
            "to fit (the seed formula's CLV is undefined too)"
        )
        return TierRetention(tier=tier, label=label, cohorts=cohorts, refusal=refusal)
    fit = retention.fit_sbg_cohorts(observed)
    at_risk = sum(active[t - 1] for active in observed for t in range(1, len(active)))
    churn = lost / at_risk if at_risk else 0.0
    monthly = 1 - (1 - churn) ** (1 / period_months)
    curve = []
    for t in range(max(longest, PROJECTED_PERIODS) + 1):
        seen = [active for active in observed if len(active) > t]
        share = sum(active[t] for active in seen) / sum(active[0] for active in seen) if seen else None
        curve.append(CurvePoint(period=t, observed=share, fitted=fit.survival(t)))
    clv = None
    if average_mrr:
        clv = retention.clv_comparison(
            fit,
            gross_margin=GROSS_MARGIN,
            average_mrr=average_mrr,
            monthly_churn=monthly,
            discount=discount,
            months_per_period=period_months,
            renewals=renewals,
        )
    return TierRetention(
        tier=tier,
        label=label,
        cohorts=cohorts,
        fit=fit,
        curve=curve,
        observed_churn=churn,
        monthly_churn=monthly,
        average_mrr=average_mrr,
        renewals=renewals,
        discounted_lifetime=fit.discounted_expected_lifetime(discount),
        clv=clv,
    )


def retention_by_tier(
    workspace: Workspace, *, today: dt.date | None = None, period_months: int | None = None
) -> RetentionReport:
    """Per tier: the renewal cohorts, the fitted sBG curve beside the observed one, DEL and the CLV comparison."""
    today = today or workspace_today(workspace)
    table = rate_table(workspace)
    books = ledgers(workspace)
    lives: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    current_mrr: dict[str, list[float]] = defaultdict(list)
    starts: list[dt.date] = []
    for ledger in books.values():
        started = ledger.started_on
        if started is None or started > today:
            continue
        lost = ledger.lost_on
        if lost is not None and lost > today:
            lost = None
        lives[ledger.tier].append((started, lost))
        starts.append(started)
        if lost is None:
            current_mrr[ledger.tier].append(ledger.mrr_on(today, table))
    first_start = min(starts, default=None)
    months = period_months or choose_period_months(first_start, today)
    discount = (1 + ANNUAL_DISCOUNT) ** (months / 12) - 1
    tiers = []
    for tier, label in Tier.choices:
        cohorts = build_cohorts(lives[tier], period_months=months, today=today)
        amounts = current_mrr[tier]
        average = sum(amounts) / len(amounts) if amounts else None
        # The typical active customer's completed renewals: DERL values a customer at that point.
        tenures = sorted(_completed_periods(started, today, months) for started, lost in lives[tier] if lost is None)
        renewals = max(1, tenures[len(tenures) // 2]) if tenures else 1
        tiers.append(
            fit_tier(
                tier,
                label,
                cohorts,
                period_months=months,
                discount=discount,
                average_mrr=average,
                renewals=renewals,
            )
        )
    return RetentionReport(period_months=months, today=today, first_start=first_start, tiers=tiers, discount=discount)


def _completed_periods(started: dt.date, today: dt.date, months: int) -> int:
    t = 0
    while add_months(started, (t + 1) * months) <= today:
        t += 1
    return t
