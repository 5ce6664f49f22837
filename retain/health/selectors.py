"""Reads of health scores and pulses, always for one account or one workspace."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, QuerySet

from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health.choices import ScorecardStatus
from retain.health.models import HealthScore, Pulse, Scorecard
from retain.tenancy.models import Workspace


def latest_score(account: Account) -> HealthScore | None:
    """The account's most recent stored score, whatever day it is for."""
    return account.health_scores.select_related("scorecard").order_by("-day").first()


def score_history(account: Account, days: int, *, today: dt.date | None = None) -> QuerySet[HealthScore]:
    """One score per day for the `days` days up to today (both ends included), oldest first."""
    today = today or workspace_today(account.workspace)
    since = today - dt.timedelta(days=days - 1)
    return account.health_scores.filter(day__gte=since, day__lte=today).order_by("day")


def scores_on(workspace: Workspace, day: dt.date) -> QuerySet[HealthScore]:
    """Every account's score on one day, for dashboards (% green, band counts, the worst first)."""
    return (
        HealthScore.objects.filter(workspace=workspace, day=day)
        .select_related("account", "scorecard")
        # Unscored accounts last on every database (PostgreSQL and SQLite disagree by default).
        .order_by(F("overall").asc(nulls_last=True), "account__name", "account_id")
    )


def current_pulse(account: Account, *, day: dt.date | None = None) -> Pulse | None:
    """The CSM's latest pulse set on or before `day` (today when not given), or None if never set."""
    day = day or workspace_today(account.workspace)
    return (
        account.pulses.filter(set_on__lte=day)
        .select_related("member__user")
        .order_by("-set_on", "-created_at", "-id")
        .first()
    )


def scorecards_published(workspace: Workspace) -> list[Scorecard]:
    """The scorecards in use, in the order they are tried: by priority, the default last."""
    rows = Scorecard.objects.filter(workspace=workspace, status=ScorecardStatus.PUBLISHED)
    return sorted(rows, key=lambda row: (row.is_default, row.priority, row.name))
