"""Thin Celery entry points for product usage."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace
from retain.usage import hooks, partitions
from retain.usage.models import RollupDirty, RollupState, UsageEvent
from retain.usage.rollups import FoldProgress, FoldResult, events_expire, rollups_fold
from retain.usage.services import rejections_expire

log = logging.getLogger(__name__)


@shared_task(name="retain.usage.jobs.fold_usage")
def fold_usage() -> int:
    """Fold new events into the daily rollups for every workspace that has any."""
    watermarks = dict(RollupState.objects.values_list("workspace_id", "last_event_id"))
    latest = dict(
        UsageEvent.objects.values("workspace_id").annotate(high=Max("id")).values_list("workspace_id", "high")
    )
    dirty = set(RollupDirty.objects.values_list("workspace_id", flat=True))
    due = [
        workspace
        for workspace in Workspace.objects.filter(pk__in=set(latest) | dirty).order_by("pk")
        if workspace.pk in dirty or latest.get(workspace.pk, 0) > watermarks.get(workspace.pk, 0)
    ]
    outcome = for_each_workspace(JobName.USAGE_FOLD, lambda workspace: fold_workspace(workspace).events_folded, due)
    raise_if_failed(outcome)
    return outcome.rows


def fold_workspace(workspace: Workspace, progress: FoldProgress | None = None) -> FoldResult:
    """Fold a workspace's new events, then hand the accounts they touched to the fold handlers
    (`usage.hooks`: health re-scores them, journeys evaluate their milestones).

    The minutely job runs it for every workspace; `retain import events` for the one it imported into.
    """
    result = rollups_fold(workspace=workspace, progress=progress)
    log.info(
        "usage folded: %s events, %s accounts recomputed in %s",
        result.events_folded,
        result.accounts_recomputed,
        workspace.slug,
    )
    if result.account_ids:
        hooks.folded(workspace, list(result.account_ids))
    return result


@shared_task(name="retain.usage.jobs.expire_events")
def expire_events() -> int:
    """Delete raw events older than the retention period (their daily rollups stay).

    On PostgreSQL, first the monthly partitions: the next months are created ahead, and whole months
    past every workspace's cutoff are dropped (a day's margin for time zones) before the rows left
    over, in the default partition or on SQLite, are deleted per workspace.
    """
    today = timezone.now().date()
    created = partitions.months_ensure(today=today)
    dropped = partitions.months_drop_expired(cutoff=today - dt.timedelta(days=settings.EVENT_RETENTION_DAYS + 1))
    if created or dropped.partitions:
        log.info(
            "event partitions: created %s, dropped %s (%s keys)", created, dropped.partitions, dropped.keys_deleted
        )

    def expire(workspace: Workspace) -> int:
        count = events_expire(workspace=workspace)
        if count:
            log.info("expired %s raw events in %s", count, workspace.slug)
        return count

    outcome = for_each_workspace(JobName.USAGE_EXPIRE_EVENTS, expire)
    raise_if_failed(outcome)
    return outcome.rows


@shared_task(name="retain.usage.jobs.expire_rejections")
def expire_rejections() -> int:
    """Delete ingest rejections past their retention (30 days)."""
    deleted = rejections_expire(now=timezone.now())
    if deleted:
        log.info("expired %s ingest rejections", deleted)
    return deleted
