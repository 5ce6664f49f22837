"""Segments: saved account filters, re-evaluated every time they are used."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from retain.tenancy import access
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view


@workspace_view
def segment_list(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def segment_save(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_write(member)
    return redirect("segments", member.workspace.slug)


@workspace_view
def segment_open(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_segment_for_user(member, pk)
    return redirect("accounts", member.workspace.slug)


@workspace_view
def segment_delete(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.get_rw_segment_for_user(member, pk)
    return redirect("segments", member.workspace.slug)
