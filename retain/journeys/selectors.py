"""Journey reads: one account's journey for its page, and barriers counted across accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from retain.accounts.models import Account, Touchpoint
from retain.journeys.choices import BarrierState, MilestoneStatus
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.lib.dates import start_of_day
from retain.tasks.choices import TaskStatus
from retain.tasks.models import Task
from retain.tenancy.models import Workspace


def account_journey(account: Account) -> tuple[Journey | None, list[MilestoneProgress]]:
    """The account's journey and its milestones in order, each with its barriers (three queries)."""
    journey = Journey.objects.filter(account=account).select_related("template").first()
    if journey is None:
        return None, []
    return journey, list(
        journey.progress.order_by("order").prefetch_related("barriers__owner__user", "barriers__owner_contact")
    )


@dataclass(frozen=True)
class BarrierCount:
    milestone: str
    title: str
    kind: str
    accounts: int
    still_open: int

    @property
    def resolved(self) -> int:
        """Accounts where this barrier is no longer open."""
        return self.accounts - self.still_open

    def words(self) -> str:
        noun = "account" if self.accounts == 1 else "accounts"
        return f"{self.milestone}: {self.title}: {self.accounts} {noun}"


def barriers_report(workspace: Workspace, *, since: dt.date, until: dt.date) -> list[BarrierCount]:
    """Barriers opened in [since, until], grouped by milestone and title, most accounts first.

    ("Technical set-up: blog migration is slow: 14 accounts", of which some are still open.)
    """
    rows = (
        Barrier.objects.filter(workspace=workspace, opened_on__gte=since, opened_on__lte=until)
        .values("progress__name", "title", "kind")
        .annotate(
            accounts=Count("account", distinct=True),
            still_open=Count("account", distinct=True, filter=Q(state=BarrierState.OPEN)),
        )
        .order_by("-accounts", "progress__name", "title")
    )
    return [
        BarrierCount(row["progress__name"], row["title"], row["kind"], row["accounts"], row["still_open"])
        for row in rows
    ]


def milestone_status_counts(workspace: Workspace) -> dict[str, dict[str, int]]:
    """For the journey board: {milestone name: {status: accounts}} across the workspace, one query."""
    counts: dict[str, dict[str, int]] = {}
    rows = (
        MilestoneProgress.objects.filter(workspace=workspace)
        .values("name", "status")
        .annotate(accounts=Count("account", distinct=True))
        .order_by("name", "status")
    )
    for row in rows:
        counts.setdefault(row["name"], {})[row["status"]] = row["accounts"]
    return counts


# The journey board ----------------------------------------------------------------------------------

ATTENTION_STATUSES = (MilestoneStatus.BEHIND, MilestoneStatus.STUCK)


def board_journeys(
    workspace: Workspace,
    *,
    owner_id: int | None = None,
    unowned: bool = False,
    tiers: list[str] | None = None,
    started: tuple[dt.date, dt.date] | None = None,
    attention: bool = False,
) -> QuerySet[Journey]:
    """The journeys on the board, filtered, grouped by template then by account name.

    `started` keeps the journeys that started within [first, last] day (a cohort); `attention` keeps
    the accounts with at least one milestone behind or stuck.
    """
    journeys = Journey.objects.filter(workspace=workspace)
    if owner_id is not None:
        journeys = journeys.filter(account__owner_id=owner_id)
    elif unowned:
        journeys = journeys.filter(account__owner__isnull=True)
    if tiers:
        journeys = journeys.filter(account__tier__in=tiers)
    if started is not None:
        journeys = journeys.filter(started_on__gte=started[0], started_on__lte=started[1])
    if attention:
        troubled = MilestoneProgress.objects.filter(journey=OuterRef("pk"), status__in=ATTENTION_STATUSES)
        journeys = journeys.filter(Exists(troubled))
    return journeys.select_related("account__owner__user", "template").order_by(
        "template__priority", "template__key", "account__name", "id"
    )


def board_status_counts(journeys: QuerySet[Journey]) -> dict[tuple[str, str], dict[str, int]]:
    """{(template key, milestone key): {status: accounts}} over every journey the filters keep, one query."""
    rows = (
        MilestoneProgress.objects.filter(journey__in=journeys.order_by().values("pk"))
        .values("journey__template__key", "key", "status")
        .annotate(accounts=Count("account", distinct=True))
        .order_by()
    )
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        counts.setdefault((row["journey__template__key"], row["key"]), {})[row["status"]] = row["accounts"]
    return counts


def current_templates(workspace: Workspace) -> dict[str, JourneyTemplate]:
    """The current version of each template, by key."""
    return {t.key: t for t in JourneyTemplate.objects.filter(workspace=workspace, is_current=True)}


def template_versions(workspace: Workspace) -> dict[str, list[JourneyTemplate]]:
    """Every version of every template, newest first, with how many journeys walk each (one query)."""
    versions: dict[str, list[JourneyTemplate]] = {}
    rows = (
        JourneyTemplate.objects.filter(workspace=workspace)
        .annotate(journey_count=Count("journeys"))
        .order_by("priority", "key", "-version")
    )
    for template in rows:
        versions.setdefault(template.key, []).append(template)
    return versions


# The level of effort beside a measured achievement (seed 002: "% of goals achieved, and the level of
# effort it took") ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Effort:
    """What the team spent on an account since its journey started: touchpoints and tasks done."""

    since: dt.date
    touchpoints: int
    tasks_done: int

    @property
    def words(self) -> str:
        return f"{self.touchpoints} touchpoints and {self.tasks_done} tasks done since {self.since}"


def journey_effort(journey: Journey, *, until: dt.date | None = None) -> Effort:
    """Touchpoints logged and tasks completed on the account from the journey's start (two queries)."""
    since = start_of_day(journey.started_on, journey.account.workspace.time_zone)
    touchpoints = Touchpoint.objects.filter(account_id=journey.account_id, occurred_at__gte=since)
    tasks = Task.objects.filter(account_id=journey.account_id, status=TaskStatus.DONE, completed_at__gte=since)
    if until is not None:
        end = start_of_day(until + dt.timedelta(days=1), journey.account.workspace.time_zone)
        touchpoints = touchpoints.filter(occurred_at__lt=end)
        tasks = tasks.filter(completed_at__lt=end)
    return Effort(since=journey.started_on, touchpoints=touchpoints.count(), tasks_done=tasks.count())
