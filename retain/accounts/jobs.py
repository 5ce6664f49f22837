"""Thin Celery entry points for accounts: they take ids, call services and leave a log line."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.accounts.services import renewal_windows_open
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.accounts.jobs.open_renewal_windows")
def open_renewal_windows(workspace_id: int | None = None) -> int:
    workspaces = Workspace.objects.all() if workspace_id is None else Workspace.objects.filter(pk=workspace_id)
    total = 0
    for workspace in workspaces:
        written = renewal_windows_open(workspace=workspace)
        if written:
            log.info("renewal windows opened: %s in workspace %s", written, workspace.slug)
        total += written
    return total
