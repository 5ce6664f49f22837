"""Requests a minute per API token (RETAIN_API_RATE_PER_TOKEN): above it, 429 with Retry-After.

Counted in the shared cache (retain.lib.ratelimit), so the limit holds however many server processes
answer. A browser session using the API counts per member; anything else per client address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from retain.lib import ratelimit
from retain.tenancy.models import ApiToken

WINDOW_SECONDS = 60


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after: int | None = None

    def _key(self, request: Request) -> str:
        if isinstance(request.auth, ApiToken):
            return f"api:token:{request.auth.pk}"
        if request.user is not None and request.user.is_authenticated:
            return f"api:user:{request.user.pk}"
        return f"api:address:{ratelimit.client_address(request._request)}"

    def allow_request(self, request: Request, view: Any) -> bool:
        self.retry_after = ratelimit.over(self._key(request), limit=settings.API_RATE_PER_TOKEN, window=WINDOW_SECONDS)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
