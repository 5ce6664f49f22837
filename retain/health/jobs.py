"""Thin Celery entry points for health scores."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.health.services import health_recompute
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.health.jobs.rescore_accounts")
def rescore_accounts(workspace_id: int, account_ids: list[int]) -> int:
    """Re-score some accounts of one workspace for today (new usage, a pulse): returns how many."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None or not account_ids:
        return 0
    result = health_recompute(workspace=workspace, account_ids=account_ids)
    return result.accounts


@shared_task(name="retain.health.jobs.recompute_all")
def recompute_all() -> int:
    """The nightly full run: every account of every workspace, scored for its workspace's today."""

    def recompute(workspace: Workspace) -> int:
        result = health_recompute(workspace=workspace)
        log.info("health recomputed in %s: %s", workspace.slug, result.summary())
        return result.accounts

    outcome = for_each_workspace(JobName.HEALTH_NIGHTLY, recompute)
    raise_if_failed(outcome)
    return outcome.rows


def rescore_folded(workspace: Workspace, account_ids: list[int]) -> None:
    """Re-score the accounts the fold touched, so health follows new usage within a minute.

    The fold is committed already; a failing re-score must not stop the other workspaces' folds
    this minute, and the nightly full run scores these accounts again anyway.
    """
    try:
        result = health_recompute(workspace=workspace, account_ids=account_ids)
    except Exception:
        log.exception("health re-score after the usage fold failed in %s", workspace.slug)
        return
    log.info("health re-scored after the fold in %s: %s", workspace.slug, result.summary())


@shared_task(name="retain.health.jobs.run_warehouse_measures")
def run_warehouse_measures() -> int:
    """Every enabled warehouse measure of every workspace, for its workspace's today; returns runs that failed.

    Each run keeps its own record (WarehouseRun); one measure failing does not stop the others.
    """
    from retain.health.models import WarehouseMeasure
    from retain.health.warehouse.runs import measures_run_all

    failed = 0
    for workspace_id in WarehouseMeasure.objects.filter(enabled=True).values_list("workspace_id", flat=True).distinct():
        workspace = Workspace.objects.get(pk=workspace_id)
        runs = measures_run_all(workspace=workspace)
        failed += sum(1 for run in runs if run.error)
        log.info("warehouse measures in %s: %d runs, %d failed", workspace.slug, len(runs), failed)
    return failed
