"""The log-in page, with a lock-out after repeated failures.

Failures are counted per (account name, client address) and per client address over a fixed
15-minute window in the shared cache, so the count holds across server processes. Five wrong
passwords for one account from one address lock that pair until the window ends; twenty from one
address, whatever the accounts, lock the address. An attacker therefore locks out only their own
address, never the member logging in from anywhere else, and never for more than 15 minutes.
While locked, even the right password is refused (429 with Retry-After), or guessing could go on.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from retain.lib import ratelimit

WINDOW_SECONDS = 15 * 60
FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
FAILURES_PER_ADDRESS = 20


class LockingAuthenticationForm(AuthenticationForm):
    retry_after: int | None = None

    def _keys(self) -> list[tuple[str, int]]:
        address = ratelimit.client_address(self.request) if self.request is not None else ""
        name = str(self.data.get("username", "")).strip().lower()
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return [
            (f"login:account-address:{digest}:{address}", FAILURES_PER_ACCOUNT_AND_ADDRESS),
            (f"login:address:{address}", FAILURES_PER_ADDRESS),
        ]

    def clean(self) -> dict[str, Any]:
        keys = self._keys()
        for key, limit in keys:
            count = ratelimit.peek(key, window=WINDOW_SECONDS)
            if count.value >= limit:
                self.retry_after = count.retry_after
                minutes = -(-count.retry_after // 60)
                raise forms.ValidationError(
                    f"Too many failed log-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                    code="locked",
                )
        try:
            return super().clean()
        except forms.ValidationError:
            for key, _ in keys:
                ratelimit.hit(key, window=WINDOW_SECONDS)
            raise


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
