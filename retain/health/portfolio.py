"""Reads for the portfolio health dashboard: % green, the band distribution and its trend, and seed
002's health-vs-activity quadrant, for one workspace narrowed by owner, tier or segment.

Every function runs a fixed number of queries whatever the number of accounts: the latest score of
each account comes from correlated subqueries in one query, activity from one grouped query over
the daily rollups, the trend from one grouped query over the stored scores.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from retain.accounts.choices import Stage
from retain.accounts.models import Account
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.usage.models import DailyAccountUsage

# A score older than this no longer stands for the account's health "now": it is counted as not
# scored rather than shown as current.
FRESH_DAYS = 7
ACTIVITY_DAYS = 28
TREND_WEEKS = 12

# The quadrant's split lines: half of the 28 days active, half-way up the 0-100 score.
ACTIVITY_SPLIT = 14
HEALTH_SPLIT = 50.0

SCORED_BANDS = (Band.RED, Band.YELLOW, Band.GREEN)


@dataclass(frozen=True)
class Quadrant:
    key: str
    name: str
    advice: str


# Seed 002, slide 6: health (y) against activity (x).
QUADRANTS = (
    Quadrant("healthy_active", "Healthy and active", "advocates and expansion: ask for a reference"),
    Quadrant("healthy_quiet", "Healthy but quiet", "check in: the score may rest on old signals"),
    Quadrant("unhealthy_active", "Active but unhealthy", "fix the experience: they use it and it hurts"),
    Quadrant("unhealthy_inactive", "Unhealthy and inactive", "at risk: act before the renewal"),
)


def quadrant_of(overall: float, active_days: int) -> str:
    healthy = overall >= HEALTH_SPLIT
    active = active_days >= ACTIVITY_SPLIT
    if healthy:
        return "healthy_active" if active else "healthy_quiet"
    return "unhealthy_active" if active else "unhealthy_inactive"


@dataclass(frozen=True)
class AccountHealth:
    """One account on the dashboard: its latest score (if fresh) and its activity."""

    id: int
    name: str
    tier: str
    owner: str
    overall: float | None
    band: str
    scored_on: dt.date | None
    active_days: int

    @property
    def quadrant(self) -> str | None:
        return None if self.overall is None else quadrant_of(self.overall, self.active_days)


@dataclass(frozen=True)
class TrendWeek:
    day: dt.date
    counts: dict[str, int]

    @property
    def scored(self) -> int:
        return sum(self.counts.get(band, 0) for band in SCORED_BANDS)

    def share(self, band: str) -> float | None:
        return None if not self.scored else self.counts.get(band, 0) / self.scored


@dataclass(frozen=True)
class Portfolio:
    day: dt.date
    accounts: list[AccountHealth]
    trend: list[TrendWeek] = field(default_factory=list)

    @cached_property
    def counts(self) -> dict[str, int]:
        counts = {band.value: 0 for band in Band}
        for account in self.accounts:
            counts[account.band] += 1
        return counts

    @property
    def scored(self) -> int:
        return sum(self.counts[band] for band in SCORED_BANDS)

    @property
    def green_share(self) -> float | None:
        """% of accounts green: green accounts / accounts with a score (the seeds' portfolio KPI)."""
        return self.counts[Band.GREEN] / self.scored if self.scored else None

    @cached_property
    def quadrant_counts(self) -> dict[str, int]:
        counts = {quadrant.key: 0 for quadrant in QUADRANTS}
        for account in self.accounts:
            if account.quadrant:
                counts[account.quadrant] += 1
        return counts


def portfolio_accounts(workspace_accounts: QuerySet[Account]) -> QuerySet[Account]:
    """The accounts a portfolio covers: all but the churned ones (they have no health to manage)."""
    return workspace_accounts.exclude(stage=Stage.CHURNED)


def latest_score(field_name: str, day: dt.date) -> Subquery:
    """An account's (OuterRef "pk") latest score's `field_name` in the `FRESH_DAYS` days to `day`: an
    older score counts as not scored. Every page that shows an account's current health reads it so."""
    fresh = HealthScore.objects.filter(
        account=OuterRef("pk"), day__lte=day, day__gt=day - dt.timedelta(days=FRESH_DAYS)
    )
    return Subquery(fresh.order_by("-day").values(field_name)[:1])


def _latest_scores(accounts: QuerySet[Account], day: dt.date) -> QuerySet[Account]:
    return accounts.annotate(
        health_overall=latest_score("overall", day),
        health_band=latest_score("band", day),
        health_day=latest_score("day", day),
    )


def customers_on(accounts: QuerySet[Account], day: dt.date) -> QuerySet[Account]:
    """The accounts that were customers on `day`: not churned, or churned after it."""
    return accounts.filter(~Q(stage=Stage.CHURNED) | Q(stage_entered_on__gt=day))


@dataclass(frozen=True)
class GreenShare:
    """% green on a day, counted one way for every page that shows it (health, revenue, team, packs)."""

    green: int
    scored: int
    day: dt.date

    FORMULA = (
        "% green = accounts whose latest health score in the 7 days to the day is green / accounts with "
        "such a score, among the accounts that were customers that day"
    )

    @property
    def value(self) -> float | None:
        return self.green / self.scored if self.scored else None


def green_share(accounts: QuerySet[Account], day: dt.date) -> GreenShare:
    """% green on `day` for `accounts` (narrowed to the filters): one query.

    An account counts with its latest score in the `FRESH_DAYS` days to `day` (the health page's
    rule, so a day whose nightly run has not happened yet reads yesterday's scores instead of none).
    """
    counts = _latest_scores(customers_on(accounts, day), day).aggregate(
        green=Count("pk", filter=Q(health_band=Band.GREEN)),
        scored=Count("pk", filter=Q(health_band__in=SCORED_BANDS)),
    )
    return GreenShare(green=counts["green"], scored=counts["scored"], day=day)


def active_days_by_account(workspace_id: int, accounts: QuerySet[Account], day: dt.date) -> dict[int, int]:
    """Days among the 28 to `day` (inclusive) with at least one product event, per account."""
    since = day - dt.timedelta(days=ACTIVITY_DAYS - 1)
    rows = (
        DailyAccountUsage.objects.filter(
            workspace_id=workspace_id, account__in=accounts.values("pk"), day__gte=since, day__lte=day, events__gt=0
        )
        .values("account_id")
        .annotate(days=Count("id"))
        .values_list("account_id", "days")
    )
    return dict(rows)


def band_trend(
    workspace_id: int,
    accounts: QuerySet[Account],
    day: dt.date,
    weeks: int = TREND_WEEKS,
    all_accounts: QuerySet[Account] | None = None,
) -> list[TrendWeek]:
    """The band counts on `day` and on the same weekday of the `weeks - 1` weeks before, oldest first.

    Each point counts the scores stored for that very day (the nightly run scores every account)
    of the accounts that were customers then: `accounts` and the ones among `all_accounts` that
    churned after that day, so an account that left last month still counts in the weeks before.
    """
    days = [day - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    counts: dict[dt.date, dict[str, int]] = {d: {} for d in days}
    then = Q(account__in=accounts.values("pk"))
    if all_accounts is not None:
        churned_later = all_accounts.filter(stage=Stage.CHURNED, stage_entered_on__isnull=False)
        then |= Q(account__in=churned_later.values("pk"), account__stage_entered_on__gt=F("day"))
    rows = (
        HealthScore.objects.filter(then, workspace_id=workspace_id, day__in=days)
        .values("day", "band")
        .annotate(n=Count("id"))
        .values_list("day", "band", "n")
    )
    for scored_day, band, n in rows:
        counts[scored_day][band] = n
    return [TrendWeek(d, counts[d]) for d in days]


def portfolio(
    accounts: QuerySet[Account], *, workspace_id: int, day: dt.date, trend_weeks: int = TREND_WEEKS
) -> Portfolio:
    """The dashboard's figures for `accounts` (already narrowed to the filters) as of `day`.

    An account's health is its latest score in the `FRESH_DAYS` days to `day`; without one it counts
    as not scored (and stays out of % green and the quadrant).
    """
    scoped = portfolio_accounts(accounts)
    rows = list(_latest_scores(scoped, day).select_related("owner__user").order_by("name", "pk"))
    activity = active_days_by_account(workspace_id, scoped, day)
    result = [
        AccountHealth(
            id=row.pk,
            name=row.name,
            tier=row.tier,
            owner=row.owner.display_name if row.owner else "",
            overall=row.health_overall,  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            band=(row.health_band or Band.BLANK) if row.health_overall is not None else Band.BLANK,  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            scored_on=row.health_day,  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            active_days=activity.get(row.pk, 0),
        )
        for row in rows
    ]
    trend = band_trend(workspace_id, scoped, day, trend_weeks, all_accounts=accounts) if trend_weeks else []
    return Portfolio(day=day, accounts=result, trend=trend)
