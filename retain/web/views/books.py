"""CSM books: who owns how much, against what capacity; moving a book to another CSM."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from retain.tenancy import access
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view


@workspace_view
def books(request: HttpRequest, member: Member) -> HttpResponse:
    return render(request, "web/home.html", {"memberships": []})


@workspace_view
def book_move(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_manager(member)
    return redirect("books", member.workspace.slug)
