"""The log-in page, with a lock-out after repeated failures.

Failures are counted per (account name, client address) and per client address over a fixed
15-minute window in the shared cache, so the count holds across server processes. Five wrong
passwords for one account from one address lock that pair until the window ends; twenty from one
address, whatever the accounts, lock the address. An attacker therefore locks out only their own
address, never the member logging in from anywhere else, and never for more than 15 minutes.
While locked, even the right password is refused (429 with Retry-After), or guessing could go on.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from retain.web.forms_auth import LockingAuthenticationForm


class LoginView(auth_views.LoginView):
    form_class = LockingAuthenticationForm
    template_name = "web/login.html"

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        retry_after = getattr(form, "retry_after", None)
        if retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response
