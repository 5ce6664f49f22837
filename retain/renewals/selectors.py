"""Reads of renewals, always for one workspace: the board by forecast category and the at-risk list.

Three amounts stand side by side on every renewal: the target (what is up for renewal), the owner's
forecast (blank until the owner sets it: "not forecast yet"), and the expected ARR, the target
weighed by the churn model's probability that the account churns at this renewal (EXPECTED_FORMULA).
`expectation()` is the one place that figure is computed; every page and CSV reads it from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery

from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.lib.money import quantize
from retain.renewals.choices import NOT_FORECAST, NOT_FORECAST_LABEL, OPEN_STAGES, ForecastCategory
from retain.renewals.models import ReasonCode, Renewal
from retain.risk.selectors import usable_risks
from retain.tenancy.models import Workspace

HORIZONS = (30, 90, 180)
RISK_BANDS = (Band.RED, Band.YELLOW)
EXPECTED_FORMULA = "Expected ARR = target ARR × (1 − churn probability)"
# The probability is shown and used to a tenth of a percent, so the worked sum on the page adds up.
PROBABILITY_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Expectation:
    """A renewal's expected ARR with what it was computed from. `amount` is None when the account has
    no usable churn score (the model has not run, refused to train, did not pass its quality gate, or
    the account is newer than its scores) and once the renewal is closed (its final ARR is known).
    Without a score the target is not taken as the expectation: that would assume no churn at all."""

    amount: Decimal | None
    target: Decimal
    probability: Decimal | None
    scored_on: dt.date | None
    closed: bool = False

    formula = EXPECTED_FORMULA

    @property
    def worked(self) -> str:
        if self.closed:
            return "the renewal is closed: its final ARR replaces the expectation"
        if self.amount is None or self.probability is None:
            return "no churn score for this account yet, so no expected ARR"
        return (
            f"{self.target:,.2f} × (1 − {self.probability:.3f}) = {self.amount:,.2f}"
            f" (churn probability scored on {self.scored_on:%Y-%m-%d})"
        )


def expectation(renewal: Renewal) -> Expectation:
    """The renewal's expected ARR, from the churn score `renewals_annotated` put beside it."""
    raw = getattr(renewal, "churn_probability", None)
    if not renewal.is_open:
        return Expectation(amount=None, target=renewal.target_amount, probability=None, scored_on=None, closed=True)
    if raw is None:
        return Expectation(amount=None, target=renewal.target_amount, probability=None, scored_on=None)
    probability = Decimal(repr(raw)).quantize(PROBABILITY_PLACES)
    return Expectation(
        amount=quantize(renewal.target_amount * (1 - probability)),
        target=renewal.target_amount,
        probability=probability,
        scored_on=getattr(renewal, "churn_day", None),
    )


def renewals_annotated(workspace: Workspace) -> QuerySet[Renewal]:
    """Renewals with account, subscription and owner, the account's latest health band and score, and
    its latest churn probability (what `expectation` weighs the target with).

    One query however many rows: those columns are subqueries on the newest HealthScore and ChurnRisk.
    """
    latest = HealthScore.objects.filter(account=OuterRef("account_id")).order_by("-day")
    # Only scores of a model that passed the quality gate weigh a renewal (retain.risk.selectors).
    risk = usable_risks(workspace).filter(account=OuterRef("account_id")).order_by("-day", "-id")
    return (
        Renewal.objects.filter(workspace=workspace)
        .select_related("account", "subscription", "owner__user")
        .annotate(
            health_band=Subquery(latest.values("band")[:1]),
            health_overall=Subquery(latest.values("overall")[:1]),
            health_day=Subquery(latest.values("day")[:1]),
            churn_probability=Subquery(risk.values("probability")[:1]),
            churn_day=Subquery(risk.values("day")[:1]),
        )
    )


def with_expectations(renewals: Iterable[Renewal]) -> list[Renewal]:
    """The renewals (from `renewals_annotated`) as a list, each with its `expected` Expectation."""
    rows = list(renewals)
    for renewal in rows:
        renewal.expected = expectation(renewal)  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    return rows


def renewal_annotated(workspace: Workspace, pk: int) -> Renewal:
    """One renewal of the workspace with the columns `renewals_annotated` adds."""
    return renewals_annotated(workspace).get(pk=pk)


def open_renewals(
    workspace: Workspace,
    *,
    horizon_days: int | None = None,
    owner: int | str | None = None,
    tier: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Renewal]:
    """Open renewals whose term ends within `horizon_days` (overdue ones included), soonest first.

    `owner` is a member id or "none" for renewals without one; `tier` an account tier.
    """
    queryset = renewals_annotated(workspace).filter(stage__in=OPEN_STAGES)
    if horizon_days is not None:
        today = today or workspace_today(workspace)
        queryset = queryset.filter(term_end__lte=today + dt.timedelta(days=horizon_days))
    if owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif owner:
        queryset = queryset.filter(owner_id=int(owner))
    if tier:
        queryset = queryset.filter(account__tier=tier)
    return queryset.order_by("term_end", "account__name", "id")


@dataclass
class Column:
    """One forecast category on the board (or the renewals not forecast yet): its renewals and their ARR
    totals in the workspace currency. `expected_arr` sums the renewals that have an expectation;
    `expected_count` says how many those are."""

    category: str
    label: str
    renewals: list[Renewal] = field(default_factory=list)
    target_arr: Decimal = Decimal(0)
    forecast_arr: Decimal = Decimal(0)
    expected_arr: Decimal = Decimal(0)
    expected_count: int = 0

    @property
    def count(self) -> int:
        return len(self.renewals)

    @property
    def is_forecast(self) -> bool:
        return self.category != NOT_FORECAST

    def add(self, renewal: Renewal) -> None:
        self.renewals.append(renewal)
        self.target_arr += renewal.target_amount
        if renewal.forecast_amount is not None:
            self.forecast_arr += renewal.forecast_amount
        [renewal] = with_expectations([renewal])
        expected: Expectation = renewal.expected  # type: ignore[attr-defined]  # annotated onto the queryset's rows
        if expected.amount is not None:
            self.expected_arr += expected.amount
            self.expected_count += 1


@dataclass
class Board:
    horizon_days: int
    today: dt.date
    columns: list[Column]

    @property
    def until(self) -> dt.date:
        return self.today + dt.timedelta(days=self.horizon_days)

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def target_arr(self) -> Decimal:
        return sum((c.target_arr for c in self.columns), Decimal(0))

    @property
    def forecast_arr(self) -> Decimal:
        """The owners' forecasts; renewals not forecast yet add nothing (see `not_forecast`)."""
        return sum((c.forecast_arr for c in self.columns), Decimal(0))

    @property
    def forecast_count(self) -> int:
        return sum(c.count for c in self.columns if c.is_forecast)

    @property
    def expected_arr(self) -> Decimal:
        return sum((c.expected_arr for c in self.columns), Decimal(0))

    @property
    def expected_count(self) -> int:
        return sum(c.expected_count for c in self.columns)

    @property
    def not_forecast(self) -> Column:
        return self.column(NOT_FORECAST)

    def column(self, category: str) -> Column:
        return next(c for c in self.columns if c.category == category)


def board(
    workspace: Workspace,
    horizon_days: int = 90,
    *,
    owner: int | str | None = None,
    tier: str | None = None,
    today: dt.date | None = None,
) -> Board:
    """Open renewals due within 30, 90 or 180 days, by forecast category, with count and ARR totals.

    The renewals whose owner has not forecast them yet are a column of their own, last: their target
    and expected ARR count, no forecast does.
    """
    if horizon_days not in HORIZONS:
        raise ValueError(f"horizon_days must be one of {HORIZONS}")
    today = today or workspace_today(workspace)
    columns = [Column(category, str(label)) for category, label in ForecastCategory.choices]
    columns.append(Column(NOT_FORECAST, NOT_FORECAST_LABEL))
    by_category = {c.category: c for c in columns}
    for renewal in open_renewals(workspace, horizon_days=horizon_days, owner=owner, tier=tier, today=today):
        by_category[renewal.forecast_category].add(renewal)
    return Board(horizon_days=horizon_days, today=today, columns=columns)


def at_risk(workspace: Workspace) -> QuerySet[Renewal]:
    """Open renewals whose account's latest health is red or yellow, or that are forecast at risk or lost."""
    return (
        renewals_annotated(workspace)
        .filter(stage__in=OPEN_STAGES)
        .filter(
            Q(health_band__in=RISK_BANDS) | Q(forecast_category__in=(ForecastCategory.AT_RISK, ForecastCategory.LOST))
        )
        .order_by("term_end", "account__name", "id")
    )


def _red_accounts(workspace: Workspace, owner_id: int, skip: set[int]) -> list[Account]:
    """The owner's accounts whose latest health is red, except those already counted by a renewal."""
    latest = HealthScore.objects.filter(account=OuterRef("pk")).order_by("-day")
    return list(
        Account.objects.filter(workspace=workspace, owner_id=owner_id)
        .annotate(health_band=Subquery(latest.values("band")[:1]))
        .filter(health_band=Band.RED)
        .exclude(pk__in=skip)
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class AtRisk:
    """One line of a book's ARR at risk: a renewal at risk, or a red account without one."""

    account: Account
    reason: str
    arr: Decimal
    forecast: Decimal | None = None
    expected: Expectation | None = None
    term_end: dt.date | None = None


AT_RISK_NOTE = "the target ARR of renewals at risk and the ARR of red accounts"


def book_at_risk(workspace: Workspace, owner_id: int) -> list[AtRisk]:
    """The ARR at risk in one owner's book (`at_risk_arr` sums it).

    The ARR at risk is what is up for renewal (the target), beside the owner's forecast and the
    expected ARR of the renewals pages; a red account without an open renewal risks its whole ARR.
    """
    risky = with_expectations(at_risk(workspace).filter(owner=owner_id))
    red = _red_accounts(workspace, owner_id, {r.account_id for r in risky})
    rows = [
        AtRisk(
            account=r.account,
            reason=f"renewal {r.forecast_label.lower()}, health {r.health_band or 'unscored'}",  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            arr=r.target_amount,
            forecast=r.forecast_amount,
            expected=r.expected,  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            term_end=r.term_end,
        )
        for r in risky
    ]
    rows += [AtRisk(account=a, reason="health red", arr=a.arr) for a in red]
    return rows


def at_risk_arr(rows: Iterable[AtRisk]) -> Decimal:
    return sum((row.arr for row in rows), Decimal(0))


def reason_codes(workspace: Workspace, *, kind: str | None = None, active_only: bool = False) -> QuerySet[ReasonCode]:
    queryset = ReasonCode.objects.filter(workspace=workspace)
    if kind:
        queryset = queryset.filter(kind=kind)
    if active_only:
        queryset = queryset.filter(active=True)
    return queryset.order_by("kind", "label")
