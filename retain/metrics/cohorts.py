"""Renewal cohorts from the subscription ledger, and the shifted-beta-geometric model fitted to them.

An account's life is read from the subscription ledger (`accounts.ledger`, where start, churn and
lost are defined): it starts on the first day it pays and is lost on its first churn day (a later
reactivation does not put it back in its cohort: a contractual cohort only shrinks). Accounts
are grouped per tier by the quarter they started in; active[t] counts the members still paying on
their own t-th anniversary. A cohort is observed for t periods once its last member could have
reached its t-th anniversary, so every count is complete.

The period is the contract term, a year. A workspace with less than `YEARLY_HISTORY_YEARS` of
history uses quarters instead, and the page says so: the fitted
retention is then per quarter, and the DEL/DERL discount rate is the annual one converted to a
quarter.

`retention_by_tier` fits `fit_sbg_cohorts` per tier and gives the projected curve beside the
observed one, DEL, and `clv_comparison` (the seed formula against the DERL-based value), at the
workspace's gross margin. A tier with too little history is not fitted; it carries the reason instead.
A tier that lost fewer than MIN_CLV_CHURNERS accounts at its observed renewals gets no CLV either
way: a churn rate read from a handful of losses (or none) divides the margin by a number that one
more loss would double, which is how a tier with one loss came out "worth" millions per customer.

Beside the cohorts' churn per renewal, each tier carries its logo churn over the trailing year, read
from the same ledger with the revenue page's definition, so the two pages show one figure for one
period. They measure different things otherwise: the cohorts' churn pools every anniversary of every
cohort over the whole history (young cohorts, which lose more, weigh as much as old ones), while a
year's logo churn is the share of the whole book paying at its start that churned during it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from retain.accounts import ledger as subscription_ledger
from retain.accounts.choices import Tier
from retain.accounts.selectors import rate_table, workspace_today
from retain.lib.dates import add_months
from retain.metrics import retention
from retain.tenancy.models import Workspace

YEARLY_HISTORY_YEARS = 3
MIN_FIT_ACCOUNTS = 10
MIN_OBSERVED_PERIODS = 2
# Both CLVs need at least this many accounts lost at observed renewals: below it the churn rate's
# relative error (about 1/√lost) is over 45% and the seed formula's division says little.
MIN_CLV_CHURNERS = 5
ANNUAL_DISCOUNT = 0.10
PROJECTED_PERIODS = 8


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
    lost: int = 0  # accounts lost at the observed renewals
    at_risk: int = 0  # account-renewals observed (the denominator of observed_churn)
    monthly_churn: float | None = None
    average_mrr: float | None = None
    renewals: int = 0
    discounted_lifetime: float | None = None  # DEL, in periods
    clv: retention.ClvComparison | None = None
    clv_refusal: str = ""  # why there is no CLV when the tier was fitted
    gross_margin: float = 0.0  # the share both CLVs multiply by
    # Logo churn over the report's trailing year (the ledger's definition, as the revenue page counts
    # it): the accounts paying the day before it began, and those of them that churned in it.
    year_active: int = 0
    year_churned: int = 0

    @property
    def year_churn(self) -> float | None:
        return self.year_churned / self.year_active if self.year_active else None

    @property
    def year_churn_worked(self) -> str:
        """The trailing year's logo churn with its inputs, as the revenue page writes it."""
        if self.year_churn is None:
            return "— (no account was paying when the year began)"
        return f"{self.year_churned} / {self.year_active} = {100 * self.year_churn:.1f}%"

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
    year_start: dt.date  # the trailing year of `TierRetention.year_churn`: year_start to today
    gross_margin: float  # the workspace's, as a share

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
    gross_margin: float,
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
    clv_refusal = ""
    if lost < MIN_CLV_CHURNERS:
        clv_refusal = (
            f"not enough churn history: {lost} account(s) lost at {at_risk} observed renewals; "
            f"at least {MIN_CLV_CHURNERS} are needed before a churn rate can value a customer"
        )
    elif not average_mrr:
        clv_refusal = "no account of this tier is paying today, so there is no average MRR to value"
    else:
        clv = retention.clv_comparison(
            fit,
            gross_margin=gross_margin,
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
        lost=lost,
        at_risk=at_risk,
        monthly_churn=monthly,
        average_mrr=average_mrr,
        renewals=renewals,
        discounted_lifetime=fit.discounted_expected_lifetime(discount),
        clv=clv,
        clv_refusal=clv_refusal,
        gross_margin=gross_margin,
    )


def retention_by_tier(
    workspace: Workspace, *, today: dt.date | None = None, period_months: int | None = None
) -> RetentionReport:
    """Per tier: the renewal cohorts, the fitted sBG curve beside the observed one, DEL and the CLV
    comparison at the workspace's gross margin."""
    today = today or workspace_today(workspace)
    table = rate_table(workspace)
    books = subscription_ledger.load(workspace)
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
    year_start = add_months(today, -12) + dt.timedelta(days=1)
    tiers = []
    for tier, label in Tier.choices:
        cohorts = build_cohorts(lives[tier], period_months=months, today=today)
        amounts = current_mrr[tier]
        average = sum(amounts) / len(amounts) if amounts else None
        # The typical active customer's completed renewals: DERL values a customer at that point.
        tenures = sorted(_completed_periods(started, today, months) for started, lost in lives[tier] if lost is None)
        renewals = max(1, tenures[len(tenures) // 2]) if tenures else 1
        fitted = fit_tier(
            tier,
            label,
            cohorts,
            period_months=months,
            discount=discount,
            average_mrr=average,
            renewals=renewals,
            gross_margin=workspace.gross_margin,
        )
        active, churned = books.logo_churn(year_start, today, among=[pk for pk, b in books.items() if b.tier == tier])
        tiers.append(replace(fitted, year_active=len(active), year_churned=len(churned)))
    return RetentionReport(
        period_months=months,
        today=today,
        first_start=first_start,
        tiers=tiers,
        discount=discount,
        year_start=year_start,
        gross_margin=workspace.gross_margin,
    )


def _completed_periods(started: dt.date, today: dt.date, months: int) -> int:
    t = 0
    while add_months(started, (t + 1) * months) <= today:
        t += 1
    return t
