"""Reads about a workspace's people (workspace-scoped)."""

from __future__ import annotations

from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace


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
