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


@shared_task(name="retain.accounts.jobs.process_import", acks_late=True)
def process_import(run_id: int) -> str:
    """Write one uploaded CSV import in checkpointed chunks (resumes an interrupted one)."""
    from retain.accounts.imports.background import import_process

    run = import_process(run_id)
    return "nothing to do" if run is None else run.status


@shared_task(name="retain.accounts.jobs.resume_imports")
def resume_imports() -> int:
    """Hand imports that no worker is writing (never picked up, or the worker died) to a worker."""
    from retain.accounts.imports.background import imports_resume

    return len(imports_resume())
