"""Forms of logging in and resetting a password."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from retain.lib import ratelimit


class MemberPasswordResetForm(PasswordResetForm):
    """Django's reset form, also for people added without a password (they set theirs this way)."""

    def get_users(self, email: str) -> Any:
        User = get_user_model()
        return User._default_manager.filter(email__iexact=email, is_active=True)


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
