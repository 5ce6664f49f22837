from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from retain.tenancy.access import memberships


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the accounts of the user's only workspace, or a choice when there are several."""
    seats = list(memberships(request.user))
    if len(seats) == 1:
        return redirect("accounts", slug=seats[0].workspace.slug)
    return render(request, "web/home.html", {"memberships": seats})
