"""Journey reads: one account's journey for its page, and barriers counted across accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from retain.accounts.models import Account
from retain.journeys.choices import BarrierState
from retain.journeys.models import Barrier, Journey, MilestoneProgress
from retain.tenancy.models import Workspace


def account_journey(account: Account) -> tuple[Journey | None, list[MilestoneProgress]]:
    """The account's journey and its milestones in order, each with its barriers (three queries)."""
    journey = Journey.objects.filter(account=account).select_related("template").first()
    if journey is None:
        return None, []
    return journey, list(journey.progress.order_by("order").prefetch_related("barriers__owner"))


@dataclass(frozen=True)
class BarrierCount:
    milestone: str
    title: str
    kind: str
    accounts: int
    still_open: int

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
