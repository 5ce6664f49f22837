"""The ingest API answers like Segment's, stores each accepted event once, and never answers 500."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client

from retain.accounts.models import Account, Contact
from retain.tenancy.models import Workspace
from retain.tenancy.services import write_key_create, write_key_revoke
from retain.usage import services as usage_services
from retain.usage import views as usage_views
from retain.usage.limits import RateLimiter
from retain.usage.models import IngestRejection, UsageEvent, UsageUser

pytestmark = pytest.mark.urls("retain.usage.tests.urls")


@pytest.fixture
def key(workspace: Workspace) -> str:
    return write_key_create(workspace=workspace, name="Product")[1]


def _auth(raw: str) -> str:
    return "Basic " + base64.b64encode(f"{raw}:".encode()).decode()


def post(
    client: Client, path: str, body: Any, key: str | None, *, gzipped: bool = False, raw: bytes | None = None
) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    headers: dict[str, str] = {}
    if gzipped:
        data = gzip.compress(data)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = _auth(key)
    return client.post(path, data=data, content_type="application/json", **headers)  # type: ignore[arg-type]  # extra headers go to the WSGI environ as keyword arguments


def track(message_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Signed In", "messageId": message_id, **extra}


def test_a_track_call_is_stored(client: Client, key: str, workspace: Workspace) -> None:
    response = post(client, "/v1/track", track("m1", context={"groupId": "acct-1"}), key)
    assert response.status_code == 200
    assert response.json() == {"success": True, "accepted": 1, "duplicates": 0, "rejectedCount": 0, "rejected": []}
    event = UsageEvent.objects.get()
    assert (event.workspace, event.name, event.user_id, event.group_id) == (workspace, "Signed In", "u1", "acct-1")


def test_a_resent_batch_never_double_counts(client: Client, key: str) -> None:
    batch = {"batch": [track("a"), track("b")]}
    assert post(client, "/v1/batch", batch, key).json()["accepted"] == 2
    again = post(client, "/v1/batch", batch, key).json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)
    assert UsageEvent.objects.count() == 2


def test_a_bad_event_is_rejected_alone(client: Client, key: str) -> None:
    batch = {"batch": [track("a"), {"type": "track", "userId": "u1", "messageId": "b"}, track("c")]}
    answer = post(client, "/v1/batch", batch, key).json()
    assert answer["accepted"] == 2
    assert answer["rejected"] == [
        {"index": 1, "messageId": "b", "reason": "event (the event name) is required for track"}
    ]
    rejection = IngestRejection.objects.get()
    assert rejection.reason.startswith("event (the event name)")
    assert '"messageId": "b"' in rejection.excerpt


def test_gzip_bodies_are_accepted(client: Client, key: str) -> None:
    assert post(client, "/v1/batch", {"batch": [track("z")]}, key, gzipped=True).json()["accepted"] == 1


def test_the_write_key_may_come_in_the_body(client: Client, key: str) -> None:
    assert post(client, "/v1/track", {**track("w"), "writeKey": key}, None).status_code == 200


@pytest.mark.parametrize("credentials", [None, "wk_not-a-key"])
def test_a_missing_or_bad_key_is_401(client: Client, credentials: str | None, key: str) -> None:
    response = post(client, "/v1/track", track("x"), credentials)
    assert response.status_code == 401
    assert "write key" in response.json()["error"]
    assert not UsageEvent.objects.exists()


def test_a_revoked_key_is_401(client: Client, workspace: Workspace) -> None:
    write_key, raw = write_key_create(workspace=workspace, name="Old")
    write_key_revoke(key=write_key)
    assert post(client, "/v1/track", track("x"), raw).status_code == 401


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"{oops", 400, "body is not valid JSON"),
        (b"[]", 400, "body must be a JSON object"),
        (b'{"batch": 5}', 400, "batch must be a list"),
    ],
)
def test_an_unreadable_body_is_refused_whole(client: Client, key: str, raw: bytes, status: int, message: str) -> None:
    response = post(client, "/v1/batch", None, key, raw=raw)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_over_4_mb_after_decompression_is_413(client: Client, key: str) -> None:
    padding = "x" * (4 * 1024 * 1024)
    response = post(client, "/v1/batch", {"batch": [], "padding": padding}, key, gzipped=True)
    assert response.status_code == 413
    assert "after decompression" in response.json()["error"]


def test_a_failing_store_answers_503_and_keeps_nothing(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(usage_services, "insert_events", broken)
    response = post(client, "/v1/batch", {"batch": [track("a"), {"type": "track", "messageId": "bad"}]}, key)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert not IngestRejection.objects.exists()


def test_a_database_down_before_the_key_is_checked_answers_503(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(raw: str) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(usage_views, "write_key_for", unreachable)
    response = post(client, "/v1/track", track("a"), key)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_a_key_sending_too_fast_gets_429(client: Client, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from retain.usage import views

    monkeypatch.setattr(views, "rate_limiter", RateLimiter(rate_per_second=1, burst=1))
    assert post(client, "/v1/track", track("1"), key).status_code == 200
    response = post(client, "/v1/track", track("2"), key)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_group_creates_the_account_and_identify_its_contact(client: Client, key: str, workspace: Workspace) -> None:
    identify = {
        "type": "identify",
        "userId": "u9",
        "messageId": "i1",
        "traits": {"email": "Kim@Initech.example", "firstName": "Kim"},
    }
    assert post(client, "/v1/identify", identify, key).status_code == 200
    user = UsageUser.objects.get(user_id="u9")
    assert user.account is None  # kept until a group call names the account
    assert not Contact.objects.exists()
    group = {
        "type": "group",
        "userId": "u9",
        "groupId": "acct-42",
        "messageId": "g1",
        "traits": {"name": "Initech", "website": "https://www.initech.example/", "employees": 120, "plan": "pro"},
    }
    assert post(client, "/v1/group", group, key).status_code == 200
    account = Account.objects.get(external_id="acct-42")
    assert (account.name, account.domain, account.employees, account.traits) == (
        "Initech",
        "initech.example",
        120,
        {"plan": "pro"},
    )
    contact = Contact.objects.get()
    assert (contact.account, contact.email, contact.first_name) == (account, "kim@initech.example", "Kim")
    user.refresh_from_db()
    assert (user.account, user.contact) == (account, contact)


def test_traits_the_account_refuses_reject_that_call_only(client: Client, key: str) -> None:
    group = {"type": "group", "userId": "u1", "groupId": "g", "messageId": "g1", "traits": {"name": ""}}
    answer = post(client, "/v1/batch", {"batch": [group, track("t")]}, key).json()
    assert answer["accepted"] == 1
    assert answer["rejected"][0]["index"] == 0


def test_keys_command_prints_the_key_last(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], client: Client
) -> None:
    call_command("keys", "create", "--workspace", "acme", "--name", "Segment")
    raw = capsys.readouterr().out.strip().splitlines()[-1].split()[-1]
    assert post(client, "/v1/track", track("k"), raw).status_code == 200
