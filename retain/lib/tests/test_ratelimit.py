"""The client address behind trusted proxies, and counting in fixed windows."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory

from retain.lib import ratelimit

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1")]


def address(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return ratelimit.client_address(request)


@pytest.fixture(autouse=True)
def _proxies(settings: object) -> None:
    settings.TRUSTED_PROXIES = PROXIES  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting


def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


def test_through_a_trusted_proxy_the_forwarded_client_is_used() -> None:
    assert address("10.0.0.5", "198.51.100.1") == "198.51.100.1"


def test_only_the_hops_our_proxies_added_are_believed() -> None:
    # The client wrote "1.2.3.4" itself; our proxy appended the address it saw.
    assert address("10.0.0.5", "1.2.3.4, 198.51.100.1") == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right() -> None:
    assert address("10.0.0.5", "198.51.100.1, 10.1.1.1, 10.2.2.2") == "198.51.100.1"


def test_a_proxy_without_a_header_is_the_client() -> None:
    assert address("10.0.0.5") == "10.0.0.5"


def test_garbage_in_the_chain_stops_at_the_last_good_hop() -> None:
    assert address("10.0.0.5", "198.51.100.1, not-an-address, 10.2.2.2") == "10.2.2.2"


def test_ipv6_proxies_are_networks_too() -> None:
    assert address("::1", "2001:db8::7") == "2001:db8::7"


def test_no_proxies_configured_trusts_no_header(settings: object) -> None:
    settings.TRUSTED_PROXIES = []  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    assert address("10.0.0.5", "198.51.100.1") == "10.0.0.5"


def test_counts_are_per_key_and_reset_with_the_next_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: 6000.0 + 45)
    assert [ratelimit.over("k", limit=2, window=60) for _ in range(3)] == [None, None, 15]
    assert ratelimit.over("other", limit=2, window=60) is None
    assert ratelimit.peek("k", window=60).value == 3
    monkeypatch.setattr(ratelimit, "clock", lambda: 6060.0)
    assert ratelimit.over("k", limit=2, window=60) is None


@pytest.mark.django_db(transaction=True)
def test_the_database_cache_keeps_a_count_for_its_whole_window(settings: object) -> None:
    settings.CACHES = {  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "retain_cache_test"}
    }
    call_command("createcachetable", verbosity=0)
    try:
        assert [ratelimit.hit("login:x", window=900).value for _ in range(3)] == [1, 2, 3]
        with connection.cursor() as cursor:
            cursor.execute("SELECT expires FROM retain_cache_test")
            [(expires,)] = cursor.fetchall()
        # Not the cache's default 5 minutes: the count outlives its 15-minute window.
        expires = expires if isinstance(expires, dt.datetime) else dt.datetime.fromisoformat(str(expires))
        left = (expires.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)).total_seconds()
        assert left > 900
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE retain_cache_test")
