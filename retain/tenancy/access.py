"""Who is a member of a workspace, and what a member's role allows.

Outsiders (not an active member of the workspace) get 404 for everything, so they cannot even learn
that a workspace or record exists; members who may read but not write get 403. Fetching one object
of a domain app for a member is `retain.access`, which sits above the domain apps and builds on
these.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from retain.tenancy.models import Member

M = TypeVar("M", bound=Model)


def get_member(user: Any, workspace_slug: str) -> Member:
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such workspace")
    member = (
        Member.objects.select_related("workspace", "user")
        .filter(user=user, workspace__slug=workspace_slug, is_active=True)
        .first()
    )
    if member is None:
        raise Http404("No such workspace")
    return member


def memberships(user: Any) -> QuerySet[Member]:
    return Member.objects.select_related("workspace").filter(user=user, is_active=True).order_by("workspace__name")


def scoped(member: Member, queryset: QuerySet[M]) -> QuerySet[M]:
    """The part of any workspace-owned queryset that this member's workspace holds."""
    return queryset.filter(workspace_id=member.workspace_id)


def get_for_member(member: Member, queryset: QuerySet[M], pk: object) -> M:
    try:
        return scoped(member, queryset).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]  # every model class has its DoesNotExist
        raise Http404(f"No such {queryset.model._meta.verbose_name}") from None


def require_write(member: Member) -> None:
    if not member.can_write:
        raise PermissionDenied("Viewers cannot change anything")


def require_manager(member: Member) -> None:
    if not member.can_manage:
        raise PermissionDenied("Only managers and admins can do this")


def require_admin(member: Member) -> None:
    if not member.is_admin:
        raise PermissionDenied("Only admins can do this")
