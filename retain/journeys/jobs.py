"""Thin Celery entry points for journeys."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.journeys.services import journeys_advance, journeys_start_missing
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.journeys.jobs.evaluate_journeys")
def evaluate_journeys(workspace_id: int | None = None) -> int:
    """The nightly run: new onboarding accounts start their journey, and every journey is re-evaluated
    (statuses move with the calendar even without new usage). Returns how many milestones completed."""
    workspaces = Workspace.objects.order_by("pk")
    if workspace_id is not None:
        workspaces = workspaces.filter(pk=workspace_id)

    def evaluate(workspace: Workspace) -> int:
        started = journeys_start_missing(workspace=workspace)
        result = journeys_advance(workspace=workspace)
        log.info("journeys in %s: %s started; %s", workspace.slug, started, result.summary())
        return result.completed

    outcome = for_each_workspace(JobName.JOURNEYS_NIGHTLY, evaluate, workspaces)
    raise_if_failed(outcome)
    return outcome.rows


def evaluate_folded(workspace: Workspace, account_ids: list[int]) -> None:
    """Complete the milestones the new usage proves; like the re-score, a failure waits for the nightly run."""
    try:
        result = journeys_advance(workspace=workspace, account_ids=account_ids)
    except Exception:
        log.exception("journey evaluation after the usage fold failed in %s", workspace.slug)
        return
    log.info("journeys evaluated after the fold in %s: %s", workspace.slug, result.summary())
