"""Request counting for rate limits and lock-outs, shared by every server process, and the client address.

Counts live in Django's default cache, which is shared between processes and machines: the database
cache in the embedded default, Redis when RETAIN_CACHE_URL names one. Windows are fixed (a key per
window), so a count never needs resetting and Retry-After is the time left in the window.

The client address is the connection's peer unless that peer is one of RETAIN_TRUSTED_PROXIES: then
X-Forwarded-For is read from the right, skipping trusted proxies, and the first address that is not
one is the client. Entries further left were written by the client itself and are never believed.
(django-ipware's trusted-proxy mode matches its list against the header's own entries instead of the
connection's peer, so a client talking to the server directly could still choose its address.)
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction
from django.http import HttpRequest


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str:
    """The address of the person (or program) behind the request, as far as trusted proxies tell."""
    peer = request.META.get("REMOTE_ADDR", "")
    current = _address(peer)
    if current is None or not _trusted(current):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for item in reversed([part for part in forwarded.split(",") if part.strip()]):
        address = _address(item)
        if address is None:
            # Garbage in the chain: the last good hop is the best we know.
            break
        current = address
        if not _trusted(address):
            break
    return str(current)


@dataclass(frozen=True)
class Count:
    """One key's count in the current window, and the seconds until the window ends."""

    value: int
    retry_after: int


# The time source, a module attribute so tests can pin it (a window boundary mid-test would reset counts).
clock = time.time


def _window(window: int) -> tuple[int, int]:
    now = clock()
    start = int(now // window * window)
    return start, max(1, int(start + window - now + 0.999))


def _cache_key(key: str, start: int) -> str:
    return f"rate:{key}:{start}"


def _increment(cache_key: str, timeout: int) -> int:
    if isinstance(caches["default"], DatabaseCache):
        # The database cache's incr() is a read and a write that also resets the entry's expiry to the
        # cache's default (5 minutes, shorter than a log-in window): read and write here, with this
        # window's timeout, in one transaction, which on SQLite (BEGIN IMMEDIATE) is one step across
        # processes. On PostgreSQL two requests at once may count as one: Redis counts exactly.
        with transaction.atomic():
            value = int(cache.get(cache_key, 0)) + 1
            cache.set(cache_key, value, timeout)
            return value
    cache.add(cache_key, 0, timeout)
    try:
        return int(cache.incr(cache_key))  # atomic in Redis and in the in-memory cache
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout)
        return 1


def hit(key: str, *, window: int) -> Count:
    """Count one request under `key` in the current window of `window` seconds."""
    start, retry_after = _window(window)
    return Count(value=_increment(_cache_key(key, start), window + 1), retry_after=retry_after)


def peek(key: str, *, window: int) -> Count:
    """The count under `key` in the current window, without adding to it."""
    start, retry_after = _window(window)
    return Count(value=int(cache.get(_cache_key(key, start), 0)), retry_after=retry_after)


def over(key: str, *, limit: int, window: int) -> int | None:
    """Count one request; the seconds to wait when this one is over `limit` for the window, else None."""
    count = hit(key, window=window)
    return count.retry_after if count.value > limit else None
