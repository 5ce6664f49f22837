"""Per-write-key request rate limit (token bucket) and per-workspace concurrency, kept in each process.

A sender that exceeds either gets 429 with Retry-After; Segment's and RudderStack's clients back
off and resend. Each process keeps its own counts, so the effective limits are per process:
generous by default, they exist to stop a runaway sender from starving the others, not to meter
usage. The rate limit counts requests; the concurrency limit keeps one workspace's burst of large
batches from taking every request thread of a process, so another workspace's call still gets one.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

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


class ConcurrencyLimiter:
    """At most `limit` requests of one workspace being worked on at once in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._running: dict[int, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, key: int) -> Iterator[bool]:
        """Yields whether the request may run now; a False means answer 429 at once."""
        with self._lock:
            running = self._running.get(key, 0)
            allowed = running < self.limit
            if allowed:
                self._running[key] = running + 1
        try:
            yield allowed
        finally:
            if allowed:
                with self._lock:
                    left = self._running[key] - 1
                    if left:
                        self._running[key] = left
                    else:
                        del self._running[key]


class WriteTurns:
    """Ingest write transactions of this process take turns, first come first served.

    SQLite has one write lock, and a writer waiting for it only polls: a request committing chunk
    after chunk would take it back before a waiting request ever saw it free. Taking turns here
    lets a small request in between two chunks of a big one. Used on SQLite only: PostgreSQL locks
    rows, so its writers do not queue behind each other.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._queue: deque[object] = deque()
        self._held = False

    @contextmanager
    def turn(self) -> Iterator[None]:
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            while self._held or self._queue[0] is not ticket:
                self._changed.wait()
            self._queue.popleft()
            self._held = True
        try:
            yield
        finally:
            with self._changed:
                self._held = False
                self._changed.notify_all()


rate_limiter = RateLimiter(settings.INGEST_RATE_PER_KEY, settings.INGEST_RATE_PER_KEY * 2)
workspace_slots = ConcurrencyLimiter(settings.INGEST_CONCURRENCY_PER_WORKSPACE)
write_turns = WriteTurns()
