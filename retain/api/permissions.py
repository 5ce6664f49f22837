"""Who is asking, in which workspace: resolved once per request, before any view code runs.

A token acts as the one member it was issued to, so its workspace is that member's. A browser
session (a logged-in user) may belong to several workspaces and must name one, in the
`X-Retain-Workspace` header or the `?workspace=` query parameter. Outsiders get 404, exactly as they
would for a workspace that does not exist.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from retain.tenancy.access import get_member
from retain.tenancy.models import ApiToken, Member

WORKSPACE_HEADER = "X-Retain-Workspace"
WORKSPACE_PARAM = "workspace"


def resolve_member(request: Request) -> Member:
    """The member this request acts as; raises 401 without credentials and 404 for outsiders."""
    user = request.user
    if user is None or not getattr(user, "is_authenticated", False):
        raise exceptions.NotAuthenticated()
    if isinstance(request.auth, ApiToken):
        return request.auth.member
    slug = request.headers.get(WORKSPACE_HEADER) or request.query_params.get(WORKSPACE_PARAM)
    if not slug:
        raise exceptions.ValidationError(
            {WORKSPACE_PARAM: [f"name the workspace in the {WORKSPACE_HEADER} header or the ?workspace= parameter"]}
        )
    return get_member(user, slug)  # Http404 for outsiders, turned into a JSON 404 by errors.py


def request_member(request: Request) -> Member:
    """The member IsWorkspaceMember resolved for this request."""
    member = getattr(request, "member", None)
    if not isinstance(member, Member):
        member = resolve_member(request)
        request.member = member  # type: ignore[attr-defined]  # the member rides on the request for the views and templates
    return member


class IsWorkspaceMember(permissions.BasePermission):
    """Every API endpoint needs an active member of a workspace; it is kept as `request.member`.

    What that member may change (its own book, everything, nothing) is decided per object by the
    retain.access helpers the views call.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        request_member(request)
        return True
