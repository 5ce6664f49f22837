"""Running a job once per workspace, each workspace on its own, with a record of every run.

Every periodic job that works through the workspaces goes through `for_each_workspace`. Each
workspace's turn is a `JobRun` row (job, workspace, started, finished, rows, error). An exception in
one workspace is logged with its traceback, recorded on that workspace's row, and the loop goes on
with the next workspace: one workspace's broken data never stops another's health scores or
playbooks. Once every workspace has had its turn, `raise_if_failed` fails the job as a whole, so the
worker's log and Celery report it too.

The nightly `prune_job_runs` keeps RETAIN_JOB_RUN_RETENTION_DAYS of these rows (90 by default).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from retain.tenancy.choices import JobName, JobStatus
from retain.tenancy.models import JobRun, Workspace

log = logging.getLogger(__name__)

# Longer texts are cut: the traceback is in the worker's log, the row says what went wrong.
ERROR_MAX_CHARS = 2000


class JobFailed(Exception):
    """A job that failed in at least one workspace (the others ran; each failure is on its JobRun)."""


@dataclass
class WorkspaceRuns:
    """What one job did across workspaces: the rows it touched, and the workspaces where it failed."""

    job: str
    runs: int = 0
    rows: int = 0
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        failed = f"; failed in {', '.join(self.failed)}" if self.failed else ""
        return f"{self.job}: {self.runs} workspace(s), {self.rows} row(s){failed}"


def for_each_workspace(
    job: JobName,
    work: Callable[[Workspace], int],
    workspaces: Iterable[Workspace] | None = None,
) -> WorkspaceRuns:
    """Run `work` (which returns the rows it touched) for each workspace, in id order by default."""
    outcome = WorkspaceRuns(job=str(job))
    for workspace in Workspace.objects.order_by("pk") if workspaces is None else workspaces:
        outcome.runs += 1
        rows = run_for_workspace(job, workspace, work)
        if rows is None:
            outcome.failed.append(workspace.slug)
        else:
            outcome.rows += rows
    return outcome


def run_for_workspace(job: JobName, workspace: Workspace, work: Callable[[Workspace], int]) -> int | None:
    """One workspace's turn, recorded: the rows `work` touched, or None when it raised."""
    run = JobRun.objects.create(workspace=workspace, job=job, started_at=timezone.now())
    try:
        if connection.in_atomic_block:
            # Called inside a transaction (a command, a test): a savepoint lets a failed workspace
            # roll back alone. Jobs run outside one, so the work keeps its own short transactions.
            with transaction.atomic():
                rows = work(workspace)
        else:
            rows = work(workspace)
    except Exception as error:
        log.exception("job %s failed in workspace %s", job, workspace.slug)
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED, finished_at=timezone.now(), error=_error_text(error)
        )
        return None
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.SUCCEEDED, finished_at=timezone.now(), rows=rows)
    return rows


def raise_if_failed(*outcomes: WorkspaceRuns) -> None:
    """Fail the job as a whole when any workspace failed, naming the jobs and workspaces."""
    failed = [outcome for outcome in outcomes if outcome.failed]
    if failed:
        raise JobFailed(
            "; ".join(
                f"{o.job} failed in {len(o.failed)} of {o.runs} workspace(s): {', '.join(o.failed)}" for o in failed
            )
        )


def _error_text(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


@shared_task(name="retain.tenancy.jobs.prune_job_runs")
def prune_job_runs() -> int:
    """Delete job runs older than the retention period; returns how many went."""
    cutoff = timezone.now() - dt.timedelta(days=settings.JOB_RUN_RETENTION_DAYS)

    def prune(workspace: Workspace) -> int:
        return JobRun.objects.filter(workspace=workspace, started_at__lt=cutoff).delete()[0]

    outcome = for_each_workspace(JobName.JOB_RUNS_PRUNE, prune)
    if outcome.rows:
        log.info("job runs pruned: %s", outcome.summary())
    raise_if_failed(outcome)
    return outcome.rows
