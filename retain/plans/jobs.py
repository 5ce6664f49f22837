"""Thin Celery entry points for success plans."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.plans.models import SuccessMetric
from retain.plans.services import metrics_refresh
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.plans.jobs.refresh_bound_metrics")
def refresh_bound_metrics() -> int:
    """Bound success metrics of every workspace that has any, for its today: returns how many changed."""
    bound = SuccessMetric.objects.exclude(measure_kind="").values("objective__goal__plan__workspace_id")
    workspaces = Workspace.objects.filter(pk__in=bound).order_by("pk")

    def refresh(workspace: Workspace) -> int:
        count = metrics_refresh(workspace=workspace)
        log.info("success metrics refreshed in %s: %d changed", workspace.slug, count)
        return count

    outcome = for_each_workspace(JobName.SUCCESS_METRICS, refresh, workspaces)
    raise_if_failed(outcome)
    return outcome.rows
