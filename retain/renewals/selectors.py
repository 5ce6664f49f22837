"""Reads of renewals, always for one workspace: the board by forecast category and the at-risk list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery

from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.renewals.choices import OPEN_STAGES, ForecastCategory
from retain.renewals.models import ReasonCode, Renewal
from retain.tenancy.models import Workspace

HORIZONS = (30, 90, 180)
RISK_BANDS = (Band.RED, Band.YELLOW)


def renewals_annotated(workspace: Workspace) -> QuerySet[Renewal]:
    """Renewals with account, subscription and owner, and the account's latest health band and score.

    One query however many rows: the health columns are subqueries on the newest HealthScore.
    """
    latest = HealthScore.objects.filter(account=OuterRef("account_id")).order_by("-day")
    return (
        Renewal.objects.filter(workspace=workspace)
        .select_related("account", "subscription", "owner__user")
        .annotate(
            health_band=Subquery(latest.values("band")[:1]),
            health_overall=Subquery(latest.values("overall")[:1]),
            health_day=Subquery(latest.values("day")[:1]),
        )
    )


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
    """One forecast category on the board: its renewals and their ARR totals (workspace currency)."""

    category: str
    label: str
    renewals: list[Renewal] = field(default_factory=list)
    target_arr: Decimal = Decimal(0)
    forecast_arr: Decimal = Decimal(0)

    @property
    def count(self) -> int:
        return len(self.renewals)


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
        return sum((c.forecast_arr for c in self.columns), Decimal(0))

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
    """Open renewals due within 30, 90 or 180 days, by forecast category, with count and ARR totals."""
    if horizon_days not in HORIZONS:
        raise ValueError(f"horizon_days must be one of {HORIZONS}")
    today = today or workspace_today(workspace)
    columns = [Column(category, str(label)) for category, label in ForecastCategory.choices]
    by_category = {c.category: c for c in columns}
    for renewal in open_renewals(workspace, horizon_days=horizon_days, owner=owner, tier=tier, today=today):
        column = by_category[renewal.forecast_category]
        column.renewals.append(renewal)
        column.target_arr += renewal.target_amount
        column.forecast_arr += renewal.forecast_amount
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


def reason_codes(workspace: Workspace, *, kind: str | None = None, active_only: bool = False) -> QuerySet[ReasonCode]:
    queryset = ReasonCode.objects.filter(workspace=workspace)
    if kind:
        queryset = queryset.filter(kind=kind)
    if active_only:
        queryset = queryset.filter(active=True)
    return queryset.order_by("kind", "label")
