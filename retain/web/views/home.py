from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from retain.tenancy.access import memberships
from retain.tenancy.choices import Role
from retain.tenancy.models import Member


def landing(member: Member) -> tuple[str, str]:
    """Where a member starts: a CSM on My book, a manager or admin on the team, a viewer on the accounts."""
    if member.role == Role.CSM:
        return "my-book", member.workspace.slug
    if member.can_manage:
        return "team", member.workspace.slug
    return "accounts", member.workspace.slug


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the start page of the user's only workspace, or a choice when there are several."""
    seats = list(memberships(request.user))
    if len(seats) == 1:
        return redirect(*landing(seats[0]))
    starts = [(seat, reverse(landing(seat)[0], args=[seat.workspace.slug])) for seat in seats]
    return render(request, "web/home.html", {"memberships": seats, "starts": starts})
