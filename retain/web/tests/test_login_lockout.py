"""Log-in lock-out: repeated failures lock the account for that address only, and only for a while."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from conftest import PASSWORD, RATE_CLOCK
from retain.lib import ratelimit
from retain.tenancy.models import Member
from retain.web import forms_auth


def attempt(member: Member, password: str, address: str) -> tuple[int, str]:
    response = Client(REMOTE_ADDR=address).post(
        "/login/", {"username": member.user.get_username(), "password": password}
    )
    return response.status_code, response.content.decode()


def test_five_failures_lock_the_account_for_that_address_until_the_window_ends(
    carol: Member, olga: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = [attempt(carol, "wrong-password", "203.0.113.5")[0] for _ in range(5)]
    assert failures == [200] * 5  # the form again, with its error

    # Locked: even the right password is refused from that address, with a wait to respect.
    response = Client(REMOTE_ADDR="203.0.113.5").post(
        "/login/", {"username": carol.user.get_username(), "password": PASSWORD}
    )
    assert response.status_code == 429 and response["Retry-After"] == str(15 * 60 - 30)
    assert "Too many failed log-ins. Try again in 15 minutes." in response.content.decode()

    # Carol herself, anywhere else, is not locked out; nor is anyone else from that address.
    assert attempt(carol, PASSWORD, "198.51.100.7")[0] == 302
    assert attempt(olga, PASSWORD, "203.0.113.5")[0] == 302

    # The lock ends with the window.
    monkeypatch.setattr(ratelimit, "clock", lambda: RATE_CLOCK + forms_auth.WINDOW_SECONDS)
    assert attempt(carol, PASSWORD, "203.0.113.5")[0] == 302


def test_many_failures_from_one_address_lock_that_address(
    carol: Member, dave: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms_auth, "FAILURES_PER_ADDRESS", 6)
    for n in range(6):
        Client(REMOTE_ADDR="203.0.113.9").post("/login/", {"username": f"guess{n}@acme.example", "password": "x"})
    assert attempt(dave, PASSWORD, "203.0.113.9")[0] == 429
    assert attempt(dave, PASSWORD, "203.0.113.10")[0] == 302


def test_behind_a_trusted_proxy_each_client_address_counts_apart(carol: Member, settings: object) -> None:
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    form = {"username": carol.user.get_username(), "password": "wrong"}
    for _ in range(5):
        proxy.post("/login/", form, HTTP_X_FORWARDED_FOR="203.0.113.5")
    right = {**form, "password": PASSWORD}
    assert proxy.post("/login/", right, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert proxy.post("/login/", right, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302
