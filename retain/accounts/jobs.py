"""Thin Celery entry points for accounts: they take ids, call services and leave a log line."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.accounts.services import renewal_windows_open
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.accounts.jobs.open_renewal_windows")
def open_renewal_windows(workspace_id: int | None = None) -> int:
    workspaces = Workspace.objects.order_by("pk")
    if workspace_id is not None:
        workspaces = workspaces.filter(pk=workspace_id)

    def open_windows(workspace: Workspace) -> int:
        written = renewal_windows_open(workspace=workspace)
        if written:
            log.info("renewal windows opened: %s in workspace %s", written, workspace.slug)
        return written

    outcome = for_each_workspace(JobName.RENEWAL_WINDOWS, open_windows, workspaces)
    raise_if_failed(outcome)
    return outcome.rows
