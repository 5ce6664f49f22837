"""A busy database (SQLite's write lock held past the busy timeout) answers 503 + Retry-After, never 500."""

from __future__ import annotations

from typing import Any, NoReturn

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
