"""Account snapshots for playbook conditions: many accounts as of one day, in six queries.

A snapshot is the flat dict lib/conditions evaluates (the names are listed in
playbooks.definition.SNAPSHOT_ATTRS)::

    account.tier, .edition, .stage, .status ("active" | "churned"), .owner (e-mail), .mrr, .arr,
    .seats, .days_in_stage, .customer_since_days, .tags, .name, .industry, .employees
    traits.<name>                 the account's traits, top level
    health.score, health.band     the latest score on or before the day
    health.change_7d              that score minus the latest one a week earlier (points)
    usage.events_7d               events in the 7 days ending on the day
    usage.vs_baseline_pct         those 7 days against the weekly average of the 28 days before, in %
    usage.active_users_30d        distinct users in the 30 days ending on the day
    usage.seat_utilisation        active_users_30d / seats (0.9 = 90 %)
    milestones.behind/.stuck/.done   counts, with statuses as of the day (journeys.evaluation)
    milestone.<key>.status        one milestone's status as of the day
    renewal.days_to_term_end      days to the nearest term end of an active subscription
    warehouse.<key>               a warehouse measure's value for the day (or the latest of the
                                  7 days before, as scorecards read it: health.warehouse.kinds)
    (and what apps above playbooks add with `provider_register`: team's cadence.*)

An attribute without data (no health score yet, no usage baseline) is absent, so conditions on it
are false rather than wrong. Whatever the number of accounts, the queries are the same six:
accounts, subscriptions, health scores, daily usage, daily users, milestones (plus a fixed few per
registered provider).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.db.models import Count, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from retain.accounts.choices import Stage, SubscriptionStatus
from retain.accounts.models import Account, Subscription
from retain.health.models import HealthScore
from retain.health.warehouse.kinds import latest_values as latest_warehouse_values
from retain.journeys.choices import DONE_STATUSES, MilestoneStatus
from retain.journeys.evaluation import status_of
from retain.journeys.models import MilestoneProgress
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.playbooks.definition import snapshot_attrs_add
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage, DailyUserUsage

Snapshot = dict[str, Any]
# A higher app's part of the snapshot: (snapshots, workspace, wanted ids or None, day) → adds its
# attributes to the snapshots in place, with a fixed number of queries.
Provider = Callable[[dict[int, Snapshot], Workspace, "set[int] | None", dt.date], None]
_PROVIDERS: list[Provider] = []


def provider_register(attrs: tuple[str, ...], provider: Provider) -> None:
    """Let an app above playbooks add attributes to every snapshot (from its AppConfig.ready); the
    attribute names become readable by playbook conditions."""
    if provider in _PROVIDERS:
        return
    snapshot_attrs_add(attrs)
    _PROVIDERS.append(provider)


RECENT_DAYS = 7
BASELINE_DAYS = 28
ACTIVE_USER_DAYS = 30
HEALTH_LOOKBACK_DAYS = 7  # how stale a score may be and still count as "the score a week ago"

ACTIVE = "active"
CHURNED = "churned"


def _scoped(queryset: QuerySet[Any], workspace: Workspace, ids: Collection[int] | None, field: str) -> QuerySet[Any]:
    queryset = queryset.filter(workspace=workspace)
    if ids is not None and len(ids) <= MAX_IDS_IN_QUERY:
        queryset = queryset.filter(**{f"{field}__in": list(ids)})
    return queryset


def _number(value: Decimal | float | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def build(workspace: Workspace, day: dt.date, account_ids: Collection[int] | None = None) -> dict[int, Snapshot]:
    """Snapshots of the workspace's accounts (or of `account_ids`) as of the end of `day`."""
    wanted = set(account_ids) if account_ids is not None else None
    if wanted is not None and not wanted:
        return {}
    snapshots: dict[int, Snapshot] = {}
    accounts = _scoped(Account.objects.all(), workspace, wanted, "pk").values(
        "pk",
        "name",
        "tier",
        "edition",
        "stage",
        "stage_entered_on",
        "owner__user__email",
        "industry",
        "employees",
        "traits",
        "mrr",
        "customer_since",
    )
    for row in accounts:
        if wanted is not None and row["pk"] not in wanted:
            continue
        traits = row["traits"] if isinstance(row["traits"], dict) else {}
        mrr = float(row["mrr"])
        snap: Snapshot = {
            "account.id": row["pk"],
            "account.name": row["name"],
            "account.tier": row["tier"],
            "account.edition": row["edition"],
            "account.stage": row["stage"],
            "account.status": CHURNED if row["stage"] == Stage.CHURNED else ACTIVE,
            "account.owner": (row["owner__user__email"] or "").lower() or None,
            "account.industry": row["industry"] or None,
            "account.employees": row["employees"],
            "account.mrr": mrr,
            "account.arr": mrr * 12,
            "account.seats": 0,
            "account.tags": list(traits.get("tags") or []),
            "milestones.behind": 0,
            "milestones.stuck": 0,
            "milestones.done": 0,
        }
        if row["stage_entered_on"] is not None:
            snap["account.days_in_stage"] = (day - row["stage_entered_on"]).days
        if row["customer_since"] is not None:
            snap["account.customer_since_days"] = (day - row["customer_since"]).days
        for name, value in traits.items():
            snap[f"traits.{name}"] = value
        snapshots[row["pk"]] = snap
    if not snapshots:
        return {}
    _add_subscriptions(snapshots, workspace, wanted, day)
    _add_health(snapshots, workspace, wanted, day)
    _add_usage(snapshots, workspace, wanted, day)
    _add_milestones(snapshots, workspace, wanted, day)
    _add_warehouse(snapshots, workspace, wanted, day)
    for provider in _PROVIDERS:
        provider(snapshots, workspace, wanted, day)
    return snapshots


def _add_subscriptions(
    snapshots: dict[int, Snapshot], workspace: Workspace, ids: set[int] | None, day: dt.date
) -> None:
    rows = _scoped(Subscription.objects.all(), workspace, ids, "account_id").values_list(
        "account_id", "status", "seats", "started_on", "term_end", "ended_on"
    )
    had_any: set[int] = set()
    active_on_day: set[int] = set()
    for account_id, status, seats, started_on, term_end, ended_on in rows:
        snap = snapshots.get(account_id)
        if snap is None or started_on > day:
            continue
        had_any.add(account_id)
        ended = status == SubscriptionStatus.CHURNED and (ended_on is None or ended_on <= day)
        if ended:
            continue
        active_on_day.add(account_id)
        snap["account.seats"] += seats
        if term_end >= day:
            days = (term_end - day).days
            current = snap.get("renewal.days_to_term_end")
            snap["renewal.days_to_term_end"] = days if current is None else min(current, days)
    for account_id in had_any - active_on_day:
        snapshots[account_id]["account.status"] = CHURNED


def _add_warehouse(snapshots: dict[int, Snapshot], workspace: Workspace, ids: set[int] | None, day: dt.date) -> None:
    """Each warehouse measure's latest value on or before the day, within STALE_DAYS (one query)."""
    for account_id, values in latest_warehouse_values(workspace.pk, ids, day).items():
        snap = snapshots.get(account_id)
        if snap is not None:
            snap.update({f"warehouse.{key}": value for key, value in values.items()})


def _add_health(snapshots: dict[int, Snapshot], workspace: Workspace, ids: set[int] | None, day: dt.date) -> None:
    week_ago = day - dt.timedelta(days=7)
    rows = (
        _scoped(HealthScore.objects.all(), workspace, ids, "account_id")
        .filter(day__lte=day, day__gte=week_ago - dt.timedelta(days=HEALTH_LOOKBACK_DAYS))
        .order_by("account_id", "day")
        .values_list("account_id", "day", "overall", "band")
    )
    latest: dict[int, tuple[float | None, str]] = {}
    before: dict[int, float | None] = {}
    for account_id, score_day, overall, band in rows:
        if account_id not in snapshots:
            continue
        latest[account_id] = (overall, band)
        if score_day <= week_ago:
            before[account_id] = overall
    for account_id, (overall, band) in latest.items():
        snap = snapshots[account_id]
        snap["health.band"] = band
        if overall is not None:
            snap["health.score"] = round(overall, 1)
            old = before.get(account_id)
            if old is not None:
                snap["health.change_7d"] = round(overall - old, 1)


def _add_usage(snapshots: dict[int, Snapshot], workspace: Workspace, ids: set[int] | None, day: dt.date) -> None:
    recent_from = day - dt.timedelta(days=RECENT_DAYS - 1)
    base_from = recent_from - dt.timedelta(days=BASELINE_DAYS)
    zero = IntegerField()
    rows = (
        _scoped(DailyAccountUsage.objects.all(), workspace, ids, "account_id")
        .filter(day__gte=base_from, day__lte=day)
        .values("account_id")
        .annotate(
            recent=Coalesce(Sum("events", filter=Q(day__gte=recent_from)), 0, output_field=zero),
            base=Coalesce(Sum("events", filter=Q(day__lt=recent_from)), 0, output_field=zero),
        )
    )
    for row in rows:
        snap = snapshots.get(row["account_id"])
        if snap is None:
            continue
        snap["usage.events_7d"] = row["recent"]
        weekly = row["base"] * RECENT_DAYS / BASELINE_DAYS
        if weekly > 0:
            snap["usage.vs_baseline_pct"] = round((row["recent"] - weekly) / weekly * 100, 1)
    users = (
        _scoped(DailyUserUsage.objects.all(), workspace, ids, "account_id")
        .filter(day__gt=day - dt.timedelta(days=ACTIVE_USER_DAYS), day__lte=day)
        .values("account_id")
        .annotate(users=Count("user_id", distinct=True))
    )
    for row in users:
        snap = snapshots.get(row["account_id"])
        if snap is None:
            continue
        snap["usage.active_users_30d"] = row["users"]
        if snap["account.seats"]:
            snap["usage.seat_utilisation"] = round(row["users"] / snap["account.seats"], 2)
    for snap in snapshots.values():
        snap.setdefault("usage.events_7d", 0)
        snap.setdefault("usage.active_users_30d", 0)
        if snap["account.seats"]:
            snap.setdefault("usage.seat_utilisation", 0.0)


class _Progress(NamedTuple):
    due_on: dt.date
    completed_on: dt.date | None
    last_progress_on: dt.date | None


def _add_milestones(snapshots: dict[int, Snapshot], workspace: Workspace, ids: set[int] | None, day: dt.date) -> None:
    rows = _scoped(MilestoneProgress.objects.all(), workspace, ids, "account_id").values_list(
        "account_id", "key", "due_on", "completed_on", "last_progress_on", "journey__closed_on"
    )
    for account_id, key, due_on, completed_on, last_progress_on, closed_on in rows:
        snap = snapshots.get(account_id)
        if snap is None:
            continue
        # As of `day`: a completion or progress after it had not happened yet. A plain record, not
        # a model instance: status_of reads three attributes, and there is a row per milestone.
        progress = _Progress(
            due_on,
            completed_on if completed_on is not None and completed_on <= day else None,
            last_progress_on if last_progress_on is not None and last_progress_on <= day else None,
        )
        # A journey closed by a churn leaves its milestones closed, never behind or stuck.
        status = status_of(cast(MilestoneProgress, progress), day, closed_on)
        snap[f"milestone.{key}.status"] = str(status)
        if status == MilestoneStatus.BEHIND:
            snap["milestones.behind"] += 1
        elif status == MilestoneStatus.STUCK:
            snap["milestones.stuck"] += 1
        elif status in DONE_STATUSES:
            snap["milestones.done"] += 1


def entry_attrs(entry: dict[str, Any]) -> Snapshot:
    """What an event trigger's conditions may read about the timeline fact (a row of triggers.ENTRY_FIELDS)."""
    attrs: Snapshot = {"entry.id": entry["id"], "entry.kind": entry["kind"], "entry.summary": entry["summary"]}
    for name, value in (entry["data"] or {}).items():
        attrs[f"entry.data.{name}"] = value
    if entry["contact__role"] is not None:
        attrs["entry.contact.role"] = entry["contact__role"]
        attrs["entry.contact.email"] = entry["contact__email"]
        attrs["entry.contact.status"] = entry["contact__status"]
    return attrs
