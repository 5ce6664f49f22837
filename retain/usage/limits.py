"""Per-write-key request rate limit (token bucket), kept in each server process.

A sender that exceeds it gets 429 with Retry-After; Segment's and RudderStack's clients back off
and resend. Each process keeps its own buckets, so the effective limit is per process: generous
by default, it exists to stop a runaway sender from starving the others, not to meter usage.
"""

from __future__ import annotations

import math
import threading
import time

from django.conf import settings


class RateLimiter:
    def __init__(self, rate_per_second: float, burst: float) -> None:
        self.rate = rate_per_second
        self.burst = burst
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: int, now: float | None = None) -> int:
        """Take one request's token; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))


rate_limiter = RateLimiter(settings.INGEST_RATE_PER_KEY, settings.INGEST_RATE_PER_KEY * 2)
