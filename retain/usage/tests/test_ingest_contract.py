"""Ingest never answers 500, and a value no retry can fix is refused alone: the probes, kept.

Each probe sends one bad event between two good ones and expects the good ones stored, the bad one
listed with its reason, on SQLite and on PostgreSQL alike (run the file with
RETAIN_TEST_DATABASE_URL for the second).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from retain.tenancy.models import Workspace
from retain.tenancy.services import write_key_create
from retain.usage import events as usage_events
from retain.usage.events import MAX_EVENT_DEPTH
from retain.usage.models import UsageEvent

pytestmark = pytest.mark.urls("retain.usage.tests.urls")


@pytest.fixture
def key(workspace: Workspace) -> str:
    return write_key_create(workspace=workspace, name="Product")[1]


def _post_raw(client: Client, key: str, body: bytes) -> Any:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return client.post("/v1/batch", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)


def track(message_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Signed In", "messageId": message_id, **extra}


def _between_good_events(client: Client, key: str, bad: str) -> dict[str, Any]:
    """Send [good, bad, good] with the bad event as raw JSON text; return the answer, checked for 200."""
    body = "{" + f'"batch": [{json.dumps(track("good-1"))}, {bad}, {json.dumps(track("good-2"))}]' + "}"
    response = _post_raw(client, key, body.encode())
    assert response.status_code == 200, response.content[:300]
    answer: dict[str, Any] = response.json()
    assert answer["accepted"] == 2
    assert sorted(UsageEvent.objects.values_list("message_id", flat=True)) == ["good-1", "good-2"]
    assert [r["index"] for r in answer["rejected"]] == [1]
    return answer


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("digits", [4_301, 20_000, 21])
def test_an_integer_of_thousands_of_digits_is_refused_alone(client: Client, key: str, digits: int) -> None:
    number = "9" * digits
    bad = '{"type": "track", "userId": "u1", "event": "X", "messageId": "bad", "properties": {"n": ' + number + "}}"
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert "event.properties.n is 99999" in reason
    assert "not a finite number" in reason
    assert len(reason) < 200  # the number is not echoed back in full


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:30:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "9999-12-31T23:59:59-00:01",
        "0001-01-01T00:00:00Z",
    ],
)
def test_a_timestamp_at_the_ends_of_the_calendar_is_refused_alone(client: Client, key: str, moment: str) -> None:
    bad = json.dumps(track("bad", timestamp=moment))
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert reason.startswith("timestamp") and "outside the years 2 to 9998" in reason


def test_a_clock_correction_past_the_calendar_is_refused_alone(client: Client, key: str) -> None:
    bad = json.dumps(track("bad", timestamp="0002-01-02T00:00:00Z", sentAt="9998-12-01T00:00:00Z"))
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert "too far from sentAt" in reason


@pytest.mark.parametrize("depth", [MAX_EVENT_DEPTH + 1, 260, 600, 1_000])
def test_properties_nested_too_deep_are_refused_alone(client: Client, key: str, depth: int) -> None:
    bad = '{"type": "track", "userId": "u1", "event": "X", "messageId": "bad", "properties": ' + _nested(depth) + "}"
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert reason == f"event is nested deeper than {MAX_EVENT_DEPTH} levels"


def test_properties_nested_to_the_limit_are_stored(client: Client, key: str) -> None:
    # The event object is one level, properties the next: MAX_EVENT_DEPTH in all.
    properties = _nested(MAX_EVENT_DEPTH - 2)
    good = '{"type": "track", "userId": "u1", "event": "X", "messageId": "deep", "properties": ' + properties + "}"
    response = _post_raw(client, key, ('{"batch": [' + good + "]}").encode())
    assert response.json()["accepted"] == 1


@pytest.mark.parametrize("field", ["userId", "anonymousId", "groupId"])
def test_an_id_longer_than_its_column_is_refused_alone(client: Client, key: str, field: str) -> None:
    bad = json.dumps({**track("bad"), field: "x" * 201})
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert reason == f"{field} is longer than 200 characters"


def test_a_group_id_in_the_context_longer_than_its_column_is_refused_alone(client: Client, key: str) -> None:
    bad = json.dumps(track("bad", context={"groupId": "g" * 300}))
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert reason == "groupId is longer than 200 characters"


def test_a_group_call_whose_id_the_account_cannot_hold_is_refused_alone(client: Client, key: str) -> None:
    # Accounts keep external ids of 128 characters; events keep 200.
    bad = json.dumps({"type": "group", "userId": "u1", "groupId": "g" * 150, "messageId": "bad", "traits": {}})
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert "external_id" in reason


def test_an_identify_with_an_over_long_email_is_stored_without_it(client: Client, key: str) -> None:
    identify = {"type": "identify", "userId": "u1", "messageId": "i", "traits": {"email": "a" * 250 + "@x.example"}}
    response = _post_raw(client, key, json.dumps({"batch": [identify]}).encode())
    assert response.json()["accepted"] == 1


@pytest.mark.postgres
def test_a_value_the_store_refuses_is_a_rejection_never_a_retry(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were a check on the way in ever missing, PostgreSQL's own refusal still rejects that event only.
    monkeypatch.setattr(usage_events, "MAX_ID_CHARS", 1_000)
    bad = json.dumps({**track("bad"), "userId": "x" * 300})
    reason = _between_good_events(client, key, bad)["rejected"][0]["reason"]
    assert reason.startswith("the store refused a value")
