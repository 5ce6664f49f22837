"""Workspace administration: settings, exchange rates, members, API tokens and write keys."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from retain.tenancy import access
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view


@workspace_view
def workspace_settings(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def rate_add(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    return redirect("settings", member.workspace.slug)


@workspace_view
def members(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def member_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_member_for_user(member, pk)
    return redirect("members", member.workspace.slug)


@workspace_view
def api_tokens(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def api_token_revoke(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    return redirect("api-tokens", member.workspace.slug)
