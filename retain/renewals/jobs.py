"""Thin Celery entry points for renewals: they take ids, call services and leave a log line."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import QuerySet

from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.services import reason_codes_seed, renewals_open
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.renewals.jobs.open_renewals")
def open_renewals(workspace_id: int | None = None) -> int:
    def open_due(workspace: Workspace) -> int:
        reason_codes_seed(workspace=workspace)
        opened = renewals_open(workspace=workspace)
        if opened:
            log.info("renewals opened: %s in workspace %s", opened, workspace.slug)
        return opened

    outcome = for_each_workspace(JobName.RENEWALS_OPEN, open_due, _workspaces(workspace_id))
    raise_if_failed(outcome)
    return outcome.rows


@shared_task(name="retain.renewals.jobs.scan_expansion_signals")
def scan_expansion_signals(workspace_id: int | None = None) -> int:
    def scan(workspace: Workspace) -> int:
        opened = expansion_signals_scan(workspace=workspace)
        if opened:
            log.info("expansion opportunities opened: %s in workspace %s", opened, workspace.slug)
        return opened

    outcome = for_each_workspace(JobName.EXPANSION_SIGNALS, scan, _workspaces(workspace_id))
    raise_if_failed(outcome)
    return outcome.rows


def _workspaces(workspace_id: int | None) -> QuerySet[Workspace]:
    workspaces = Workspace.objects.order_by("pk")
    return workspaces if workspace_id is None else workspaces.filter(pk=workspace_id)
