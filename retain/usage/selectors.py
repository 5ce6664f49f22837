"""Reads for product usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from retain.accounts.models import Account
from retain.tenancy.models import Workspace, WriteKey, hash_token
from retain.usage.models import (
    DailyAccountUsage,
    DailyFeatureUsage,
    DailyUserUsage,
    IngestRejection,
    UnmatchedGroup,
    UsageEvent,
    UsageUser,
)


def write_key_for(raw: str) -> WriteKey | None:
    """The live write key with this raw value, or None.

    Asked on every ingest request, so one plain query; the key's workspace loads on first use (only
    identify and group calls need more of it than its id).
    """
    if not raw or len(raw) > 200:
        return None
    key_hash = hash_token(raw)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, workspace_id, name, key_prefix FROM {WriteKey._meta.db_table} "
            "WHERE key_hash = %s AND revoked_at IS NULL",
            [key_hash],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    key_id, workspace_id, name, prefix = row
    return WriteKey(id=key_id, workspace_id=workspace_id, name=name, key_prefix=prefix, key_hash=key_hash)


def latest_rejections(write_key: WriteKey, limit: int = 50) -> QuerySet[IngestRejection]:
    return write_key.rejections.order_by("-received_at", "-id")[:limit]


@dataclass(frozen=True)
class UsageDay:
    day: dt.date
    events: int
    active_users: int


@dataclass(frozen=True)
class PanelUser:
    user_id: str
    email: str
    last_seen_on: dt.date
    events_in_window: int


@dataclass(frozen=True)
class UsagePanel:
    """What the account page shows of an account's product usage over the last `days` days."""

    days: list[UsageDay]
    active_users: int
    events: int
    top_features: list[tuple[str, int]]
    users: list[PanelUser]
    last_seen_on: dt.date | None

    CHART_HEIGHT = 60

    @property
    def peak_events(self) -> int:
        return max((d.events for d in self.days), default=0)

    @property
    def chart_bars(self) -> list[tuple[int, float, float, UsageDay]]:
        """(x, y, height, day) of each day's bar in a 10-unit-per-day, CHART_HEIGHT-high SVG."""
        peak = self.peak_events or 1
        bars = []
        for index, day in enumerate(self.days):
            height = round(day.events / peak * (self.CHART_HEIGHT - 2), 1)
            bars.append((index * 10, self.CHART_HEIGHT - height, height, day))
        return bars


def account_usage_panel(account: Account, *, today: dt.date, days: int = 30, users: int = 25) -> UsagePanel:
    """Daily events and active users (zero-filled), distinct active users, top features and users.

    Reads only the daily rollups and the user registry, never raw events: a fixed number of queries
    whatever the account's volume.
    """
    start = today - dt.timedelta(days=days - 1)
    by_day = {
        row.day: row
        for row in DailyAccountUsage.objects.filter(account=account, day__gte=start, day__lte=today).only(
            "day", "events", "active_users"
        )
    }
    series = [
        UsageDay(day, by_day[day].events, by_day[day].active_users) if day in by_day else UsageDay(day, 0, 0)
        for day in (start + dt.timedelta(days=offset) for offset in range(days))
    ]
    distinct_users = (
        DailyUserUsage.objects.filter(account=account, day__gte=start, day__lte=today)
        .values("user_id")
        .distinct()
        .count()
    )
    features = list(
        DailyFeatureUsage.objects.filter(account=account, day__gte=start, day__lte=today)
        .values("feature")
        .annotate(total=Sum("events"))
        .order_by("-total", "feature")
        .values_list("feature", "total")[:10]
    )
    # Users are whoever was active for the account (identified or not), most recently seen first.
    people = list(
        DailyUserUsage.objects.filter(account=account)
        .values("user_id")
        .annotate(last_day=Max("day"), recent=Sum("events", filter=Q(day__gte=start, day__lte=today)))
        .order_by("-last_day", "user_id")
        .values_list("user_id", "last_day", "recent")[:users]
    )
    emails = dict(
        UsageUser.objects.filter(workspace_id=account.workspace_id, user_id__in=[p[0] for p in people]).values_list(
            "user_id", "email"
        )
    )
    return UsagePanel(
        days=series,
        active_users=distinct_users,
        events=sum(d.events for d in series),
        top_features=[(name, int(total)) for name, total in features],
        users=[PanelUser(user, emails.get(user, ""), last_day, int(recent or 0)) for user, last_day, recent in people],
        last_seen_on=people[0][1] if people else None,
    )


def unmatched_groups(workspace: Workspace) -> QuerySet[UnmatchedGroup]:
    """The groupIds held for an admin, still waiting first, each with `events`: how many of the
    events naming it wait for an account (counted on the orphan-events index)."""
    waiting = (
        UsageEvent.objects.filter(workspace=workspace, account__isnull=True, group_id=OuterRef("group_id"))
        .order_by()
        .values("group_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        UnmatchedGroup.objects.filter(workspace=workspace)
        .select_related("account", "resolved_by__user")
        .annotate(events=Coalesce(Subquery(waiting), 0))
        .order_by(F("account").asc(nulls_first=True), "-last_seen_at", "id")
    )


def unknown_group_accounts(workspace: Workspace) -> QuerySet[Account]:
    """Accounts a group call with an unknown groupId created (marked so; not scored until they pay)."""
    return Account.objects.filter(workspace=workspace, from_unknown_group=True).order_by("-created_at", "-id")
