"""Reads of a workspace's people, audit log and invitations, always scoped to one workspace."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from retain.tenancy.choices import Role
from retain.tenancy.models import AuditEntry, Invitation, Member, Workspace


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
