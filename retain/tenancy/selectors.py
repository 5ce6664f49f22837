"""Reads of a workspace's people, audit log and invitations, always scoped to one workspace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q, QuerySet

from retain.tenancy.choices import JobName, JobStatus, Role
from retain.tenancy.models import AuditEntry, Invitation, JobRun, Member, Workspace


def audit_entries(
    workspace: Workspace,
    *,
    action: str = "",
    actor_id: int | None = None,
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
    search: str = "",
) -> QuerySet[AuditEntry]:
    """The workspace's audit log, newest first, narrowed by action, actor, time and target text."""
    rows = AuditEntry.objects.filter(workspace=workspace)
    if action:
        rows = rows.filter(action=action)
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    if since is not None:
        rows = rows.filter(at__gte=since)
    if before is not None:
        rows = rows.filter(at__lt=before)
    if search:
        rows = rows.filter(Q(target__icontains=search) | Q(actor_name__icontains=search))
    return rows.order_by("-at", "-id")


def open_invitations(workspace: Workspace) -> QuerySet[Invitation]:
    """Invitations not yet accepted or revoked (expired ones included: they can be re-sent)."""
    return (
        Invitation.objects.filter(workspace=workspace, accepted_at=None, revoked_at=None)
        .select_related("invited_by__user")
        .order_by("-sent_at")
    )


def fallback_owner(workspace: Workspace) -> Member | None:
    """Who takes work nobody owns: the workspace's chosen fallback owner while they can take it, else
    its first active manager, else its first active admin (None only in a workspace without either)."""
    chosen = workspace.fallback_owner
    if chosen is not None and chosen.is_active and chosen.can_write:
        return chosen
    members = Member.objects.filter(workspace=workspace, is_active=True).select_related("user")
    return (
        members.filter(role=Role.MANAGER).order_by("pk").first()
        or members.filter(role=Role.ADMIN).order_by("pk").first()
    )


@dataclass(frozen=True)
class JobLatest:
    """A job's most recent run in a workspace, and its last successful one when that is another."""

    job: JobName
    last: JobRun | None
    last_success: JobRun | None


def job_latest_runs(workspace: Workspace) -> list[JobLatest]:
    """Every job in JobName order, with its last run and last success in the workspace (three queries)."""
    runs = JobRun.objects.filter(workspace=workspace)
    last_started = dict(runs.values("job").annotate(at=Max("started_at")).values_list("job", "at"))
    last_succeeded = dict(
        runs.filter(status=JobStatus.SUCCEEDED).values("job").annotate(at=Max("started_at")).values_list("job", "at")
    )
    wanted = Q(pk__in=[])
    for job, at in (*last_started.items(), *last_succeeded.items()):
        wanted |= Q(job=job, started_at=at)
    found: dict[tuple[str, object], JobRun] = {}
    # Two runs of one job never start in the same microsecond in practice; the later id wins if they do.
    for run in runs.filter(wanted).order_by("started_at", "id"):
        found[(run.job, run.started_at)] = run
    latest = []
    for job in JobName:
        last = found.get((job, last_started.get(job)))
        success = found.get((job, last_succeeded.get(job)))
        latest.append(JobLatest(job=job, last=last, last_success=success))
    return latest


def job_runs(workspace: Workspace, *, job: str = "", status: str = "") -> QuerySet[JobRun]:
    """The workspace's job runs, newest first, narrowed to one job and one status when given."""
    rows = JobRun.objects.filter(workspace=workspace)
    if job:
        rows = rows.filter(job=job)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-started_at", "-id")
