"""Pages for people who are not logged in: accepting an invitation and resetting a password.

Both are reached from an e-mailed link, so both are rate-limited like the other public link pages:
the invitation page per client address and per link, the reset request per client address and per
e-mail address asked for (so nobody can flood one person's inbox).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from retain.messaging.views import private, rate_limited
from retain.tenancy import services as tenancy_services
from retain.web.forms import add_service_errors
from retain.web.forms_admin import InvitationAcceptForm
from retain.web.forms_auth import MemberPasswordResetForm

RESET_PER_EMAIL = 3
RESET_PER_ADDRESS = 20
RESET_WINDOW_SECONDS = 15 * 60


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    limited = rate_limited(request, token, scope="invitation")
    if limited is not None:
        return limited
    invitation = tenancy_services.invitation_from_link(token)
    if invitation is None:
        return private(render(request, "web/auth/invitation_invalid.html", status=404))
    User = get_user_model()
    existing = User.objects.filter(email__iexact=invitation.email).first()
    has_login = existing is not None and existing.has_usable_password()
    form = InvitationAcceptForm(request.POST if request.method == "POST" else None)
    if has_login:
        for name in ("first_name", "last_name", "password"):
            del form.fields[name]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                joined = tenancy_services.invitation_accept(token=token, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # The link was e-mailed to this address and works once: as good as a password reset.
                login(request, joined.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome to {joined.workspace.name}.")
                return redirect("workspace", joined.workspace.slug)
        status = 400
    context = {"invitation": invitation, "form": form, "has_login": has_login}
    return private(render(request, "web/auth/invitation_accept.html", context, status=status))


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/auth/password_reset.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    form_class = MemberPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        email = str(form.cleaned_data["email"]).strip().lower()
        limited = rate_limited(
            self.request,
            email,
            scope="password-reset",
            per_address=RESET_PER_ADDRESS,
            per_token=RESET_PER_EMAIL,
            window=RESET_WINDOW_SECONDS,
        )
        if limited is not None:
            return limited
        # Django builds the link from the request's Host header: anyone could ask for a reset of
        # someone else's password through a host of their own and receive the token when the
        # victim clicks. The link starts at the site's public address instead.
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)
