"""A busy database (SQLite's write lock held past the busy timeout) answers 503 + Retry-After, never 500."""

from __future__ import annotations

from typing import Any, NoReturn

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client

from retain.tenancy.models import Member
from retain.tenancy.services import api_token_create


def _locked(*args: Any, **kwargs: Any) -> NoReturn:
    raise OperationalError("database is locked")


def test_a_page_that_finds_the_database_locked_asks_to_try_again(
    client: Client, alice: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retain.web.views.reference.render", _locked)
    response = client.get("/api/docs/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again in a few seconds" in response.content.decode()


def test_an_api_call_that_finds_the_database_locked_gets_json_and_retry_after(
    alice: Member, olga: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retain.api.views.AccountViewSet.list", _locked)
    for member in (alice, olga):  # an outsider's call fails the same way: no data is shown either way
        raw = api_token_create(member=member, name="t", actor=member)[1]
        response = Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {raw}")
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "busy" in response.json()["detail"]


def test_other_database_errors_are_still_server_errors(alice: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> NoReturn:
        raise OperationalError("no such table: account")

    monkeypatch.setattr("retain.api.views.AccountViewSet.list", broken)
    raw = api_token_create(member=alice, name="t", actor=alice)[1]
    client = Client(raise_request_exception=False)
    assert client.get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {raw}").status_code == 500


def _cut_off(*args: Any, **kwargs: Any) -> NoReturn:
    """What a request meets while PostgreSQL restarts: its connection terminated by the shutdown."""
    try:
        raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    except psycopg.Error as cause:
        raise OperationalError("terminating connection due to administrator command") from cause


def _refused(*args: Any, **kwargs: Any) -> NoReturn:
    """...or its new connection refused while the server shuts down or starts up."""
    raise OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        "FATAL:  the database system is shutting down"
    )


@pytest.mark.parametrize("failure", [_cut_off, _refused])
def test_a_database_restart_asks_pages_and_programs_to_try_again(
    client: Client, alice: Member, olga: Member, monkeypatch: pytest.MonkeyPatch, failure: Any
) -> None:
    monkeypatch.setattr("retain.web.views.reference.render", failure)
    page = client.get("/api/docs/")
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert "try again in a few seconds" in page.content.decode()
    monkeypatch.setattr("retain.api.views.AccountViewSet.list", failure)
    for member in (alice, olga):
        raw = api_token_create(member=member, name="t", actor=member)[1]
        response = Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Token {raw}")
        assert (response.status_code, response["Retry-After"]) == (503, "5")
        assert "unavailable" in response.json()["detail"]
