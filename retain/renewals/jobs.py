"""Thin Celery entry points for renewals: they take ids, call services and leave a log line."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.services import reason_codes_seed, renewals_open
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.renewals.jobs.open_renewals")
def open_renewals(workspace_id: int | None = None) -> int:
    workspaces = Workspace.objects.all() if workspace_id is None else Workspace.objects.filter(pk=workspace_id)
    total = 0
    for workspace in workspaces:
        reason_codes_seed(workspace=workspace)
        opened = renewals_open(workspace=workspace)
        if opened:
            log.info("renewals opened: %s in workspace %s", opened, workspace.slug)
        total += opened
    return total


@shared_task(name="retain.renewals.jobs.scan_expansion_signals")
def scan_expansion_signals(workspace_id: int | None = None) -> int:
    workspaces = Workspace.objects.all() if workspace_id is None else Workspace.objects.filter(pk=workspace_id)
    total = 0
    for workspace in workspaces:
        opened = expansion_signals_scan(workspace=workspace)
        if opened:
            log.info("expansion opportunities opened: %s in workspace %s", opened, workspace.slug)
        total += opened
    return total
