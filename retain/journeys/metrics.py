"""Journey metrics: time to value, milestone completion and lateness, early engagement and retention.

Every figure comes with the inputs it was computed from, so a page can show how it was reached.

- Time to value: days from a journey's start to the completion of its "initial value" milestone
  (defaults.INITIAL_VALUE), per cohort (the month the journey started) and per tier; median and
  75th percentile (journeys.formulas.percentile), n the journeys with that milestone, and how many
  have not reached it yet (they are not in the median: it is over those who got there).
- Per milestone: completion rate = milestones done / milestones due so far (due on or before
  today); lateness rate = done late (completed after the due day) / done; behind and stuck count
  the milestones in that status now (thresholds in journeys.evaluation).
- Early engagement (seed 004: a customer not won over in its first three months rarely is later):
  an account is *engaged* when it was active (any usage event) on at least ENGAGED_MIN_ACTIVE_DAYS
  of the FIRST_DAYS days from its journey's start (days 0 to 89), from the daily usage rollups.
  Only accounts whose first 90 days are over, and began on or after the first day of recorded usage
  (the earliest daily rollup), are counted: an account that started before the usage history
  begins is unknown, not disengaged. Retention afterwards: the account is
  retained unless its lifecycle stage is churned. The ratio compares the not-engaged accounts'
  retention with the engaged ones'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, DateField, ExpressionWrapper, F, Max, Min, Q

from retain.accounts.choices import Stage, Tier
from retain.journeys.choices import MilestoneStatus
from retain.journeys.defaults import INITIAL_VALUE
from retain.journeys.formulas import cohort_month, percentile, ratio, share
from retain.journeys.models import Journey, MilestoneProgress
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage

FIRST_DAYS = 90
ENGAGED_MIN_ACTIVE_DAYS = 20


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g} days"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


# Time to value -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeToValue:
    """One group's time to value: `days` holds one entry per journey that reached initial value."""

    group: str
    n: int
    days: tuple[int, ...]

    @property
    def reached(self) -> int:
        return len(self.days)

    @property
    def not_reached(self) -> int:
        return self.n - self.reached

    @property
    def median(self) -> float | None:
        return percentile(self.days, 0.5)

    @property
    def p75(self) -> float | None:
        return percentile(self.days, 0.75)

    @property
    def worked(self) -> str:
        listed = ", ".join(str(d) for d in sorted(self.days)) or "none"
        return (
            f"days to value of the {self.reached} of {self.n} journeys that reached it: {listed}; "
            f"median {_days(self.median)}, p75 {_days(self.p75)}; {self.not_reached} not there yet"
        )


@dataclass(frozen=True)
class TimeToValueReport:
    overall: TimeToValue
    by_cohort: list[TimeToValue]
    by_tier: list[TimeToValue]


def time_to_value(workspace: Workspace) -> TimeToValueReport:
    """Time to value overall, per start month and per tier (one query)."""
    rows = MilestoneProgress.objects.filter(workspace=workspace, key=INITIAL_VALUE).values_list(
        "journey__started_on", "account__tier", "completed_on"
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for started_on, tier, completed_on in rows:
        for group in (("all", "all"), ("cohort", cohort_month(started_on)), ("tier", tier)):
            counts[group] += 1
            if completed_on is not None:
                days[group].append((completed_on - started_on).days)

    def made(kind: str, name: str, label: str) -> TimeToValue:
        return TimeToValue(label, counts[(kind, name)], tuple(days[(kind, name)]))

    tier_labels = dict(Tier.choices)
    return TimeToValueReport(
        overall=made("all", "all", "All journeys"),
        by_cohort=[made("cohort", name, name) for kind, name in sorted(counts) if kind == "cohort"],
        by_tier=[made("tier", tier, str(tier_labels[tier])) for tier in Tier.values if counts[("tier", tier)]],
    )


# Milestones ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneRates:
    template_key: str
    template_name: str
    key: str
    name: str
    order: int
    total: int
    due: int
    done_of_due: int
    done: int
    late: int
    behind: int
    stuck: int

    @property
    def completion_rate(self) -> float | None:
        return share(self.done_of_due, self.due)

    @property
    def lateness_rate(self) -> float | None:
        return share(self.late, self.done)

    @property
    def completion_worked(self) -> str:
        return f"{self.done_of_due} done / {self.due} due so far = {_percent(self.completion_rate)}"

    @property
    def lateness_worked(self) -> str:
        return f"{self.late} done late / {self.done} done = {_percent(self.lateness_rate)}"


def milestone_rates(workspace: Workspace, *, today: dt.date) -> list[MilestoneRates]:
    """Per template and milestone (by key, across the template's versions), in template then path order."""
    is_due = Q(due_on__lte=today)
    is_done = Q(completed_on__isnull=False)
    rows = (
        MilestoneProgress.objects.filter(workspace=workspace)
        .values("journey__template__key", "key")
        .annotate(
            template_name=Max("journey__template__name"),
            name=Max("name"),
            order=Min("order"),
            total=Count("id"),
            due=Count("id", filter=is_due),
            done_of_due=Count("id", filter=is_due & is_done),
            done=Count("id", filter=is_done),
            late=Count("id", filter=Q(completed_on__gt=F("due_on"))),
            behind=Count("id", filter=Q(status=MilestoneStatus.BEHIND)),
            stuck=Count("id", filter=Q(status=MilestoneStatus.STUCK)),
        )
        .order_by("journey__template__key", "order", "key")
    )
    return [
        MilestoneRates(
            template_key=row["journey__template__key"],
            template_name=row["template_name"],
            key=row["key"],
            name=row["name"],
            order=row["order"],
            total=row["total"],
            due=row["due"],
            done_of_due=row["done_of_due"],
            done=row["done"],
            late=row["late"],
            behind=row["behind"],
            stuck=row["stuck"],
        )
        for row in rows
    ]


# Early engagement and later retention (seed 004) -----------------------------------------------------


@dataclass(frozen=True)
class RetentionGroup:
    label: str
    n: int
    retained: int

    @property
    def churned(self) -> int:
        return self.n - self.retained

    @property
    def retention(self) -> float | None:
        return share(self.retained, self.n)

    @property
    def worked(self) -> str:
        return f"{self.retained} retained / {self.n} accounts = {_percent(self.retention)}"


@dataclass(frozen=True)
class EngagementReport:
    engaged: RetentionGroup
    not_engaged: RetentionGroup
    too_early: int
    # Started before the first day of recorded usage: their first 90 days cannot be judged.
    before_history: int = 0
    history_from: dt.date | None = None
    min_active_days: int = ENGAGED_MIN_ACTIVE_DAYS
    first_days: int = FIRST_DAYS

    @property
    def eligible(self) -> int:
        return self.engaged.n + self.not_engaged.n

    @property
    def not_engaged_share(self) -> float | None:
        return share(self.not_engaged.n, self.eligible)

    @property
    def retention_ratio(self) -> float | None:
        """Not-engaged retention / engaged retention (1.0: no difference; 0.5: half as likely to stay)."""
        return ratio(self.not_engaged.retention, self.engaged.retention)

    @property
    def share_worked(self) -> str:
        return f"{self.not_engaged.n} not engaged / {self.eligible} past their first {self.first_days} days = " + (
            _percent(self.not_engaged_share)
        )

    @property
    def ratio_worked(self) -> str:
        shown = "—" if self.retention_ratio is None else f"{self.retention_ratio:.2f}"
        return f"{_percent(self.not_engaged.retention)} / {_percent(self.engaged.retention)} = {shown}"


def engagement_retention(workspace: Workspace, *, today: dt.date) -> EngagementReport:
    """Accounts engaged or not in their first 90 days on their journey, and how many stayed (three queries)."""
    last_start = today - dt.timedelta(days=FIRST_DAYS)
    history_from = DailyAccountUsage.objects.filter(workspace=workspace).aggregate(first=Min("day"))["first"]
    journeys = list(
        Journey.objects.filter(workspace=workspace).values_list("account_id", "started_on", "account__stage")
    )
    finished = {
        account_id: (started_on, stage) for account_id, started_on, stage in journeys if started_on <= last_start
    }
    eligible = {
        account_id: stage
        for account_id, (started_on, stage) in finished.items()
        if history_from is not None and started_on >= history_from
    }
    window_end = ExpressionWrapper(
        F("account__journey__started_on") + dt.timedelta(days=FIRST_DAYS), output_field=DateField()
    )
    active = dict(
        DailyAccountUsage.objects.filter(
            workspace=workspace,
            events__gt=0,
            account__journey__started_on__lte=last_start,
            day__gte=F("account__journey__started_on"),
            day__lt=window_end,
        )
        .values("account_id")
        .annotate(days=Count("day"))
        .values_list("account_id", "days")
    )
    engaged = [a for a in eligible if active.get(a, 0) >= ENGAGED_MIN_ACTIVE_DAYS]
    not_engaged = [a for a in eligible if active.get(a, 0) < ENGAGED_MIN_ACTIVE_DAYS]

    def group(label: str, ids: list[int]) -> RetentionGroup:
        return RetentionGroup(label, len(ids), sum(1 for a in ids if eligible[a] != Stage.CHURNED))

    return EngagementReport(
        engaged=group("Engaged", engaged),
        not_engaged=group("Not engaged", not_engaged),
        too_early=len(journeys) - len(finished),
        before_history=len(finished) - len(eligible),
        history_from=history_from,
    )
