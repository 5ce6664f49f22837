"""Thin Celery entry points for success plans."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.plans.models import SuccessMetric
from retain.plans.services import metrics_refresh
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.plans.jobs.refresh_bound_metrics")
def refresh_bound_metrics() -> int:
    """Bound success metrics of every workspace that has any, for its today: returns how many changed."""
    changed = 0
    bound = SuccessMetric.objects.exclude(measure_kind="").values("objective__goal__plan__workspace_id")
    workspaces = Workspace.objects.filter(pk__in=bound).order_by("pk")
    for workspace in workspaces:
        count = metrics_refresh(workspace=workspace)
        log.info("success metrics refreshed in %s: %d changed", workspace.slug, count)
        changed += count
    return changed
