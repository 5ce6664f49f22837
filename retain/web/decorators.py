"""The one way a web view gets at a workspace: as a member of it, or 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from retain.tenancy.access import get_member
from retain.tenancy.models import Member

WorkspaceView = Callable[..., HttpResponse]


def workspace_view(view: WorkspaceView) -> Callable[..., HttpResponse]:
    """Log-in required; resolves `slug` to the user's Member (404 for outsiders) and passes it on.

    The view is called as view(request, member, **kwargs); `request.member` is set for templates.
    """

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
        member: Member = get_member(request.user, slug)
        request.member = member  # type: ignore[attr-defined]  # the member rides on the request for the views and templates
        return view(request, member, **kwargs)

    return wrapper
