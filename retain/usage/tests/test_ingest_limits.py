"""One request must not starve the others: bounded batches, counted rejections, a fair share per workspace."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from retain.config.schedule import SCHEDULE
from retain.tenancy.models import Workspace
from retain.tenancy.services import write_key_create
from retain.usage import jobs
from retain.usage import services as usage_services
from retain.usage.events import MAX_BATCH_CALLS
from retain.usage.limits import ConcurrencyLimiter, WriteTurns, workspace_slots
from retain.usage.models import IngestRejection, UsageEvent, UsageUser
from retain.usage.services import IDENTITY_CHUNK, REJECTIONS_KEPT

pytestmark = pytest.mark.urls("retain.usage.tests.urls")


@pytest.fixture
def key(workspace: Workspace) -> str:
    return write_key_create(workspace=workspace, name="Product")[1]


def _post(client: Client, path: str, key: str, body: bytes) -> Any:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return client.post(path, data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)


def track(message_id: str) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Signed In", "messageId": message_id}


def test_a_batch_of_a_million_zeros_is_refused_whole_at_once(client: Client, key: str) -> None:
    body = b'{"batch": [' + b",".join([b"0"] * 1_000_000) + b"]}"
    assert len(body) < 4 * 1024 * 1024
    response = _post(client, "/v1/batch", key, body)
    assert response.status_code == 413
    assert response.json()["error"] == (
        f"batch has 1000000 calls, over the limit of {MAX_BATCH_CALLS}; send smaller batches"
    )
    assert not IngestRejection.objects.exists()


def test_a_batch_at_the_call_limit_is_taken(client: Client, key: str) -> None:
    body = json.dumps({"batch": [track(f"m{i}") for i in range(MAX_BATCH_CALLS)]}).encode()
    answer = _post(client, "/v1/batch", key, body).json()
    assert (answer["accepted"], answer["rejectedCount"]) == (MAX_BATCH_CALLS, 0)


def test_a_batch_of_bad_calls_keeps_a_few_rows_and_counts_the_rest(client: Client, key: str) -> None:
    calls: list[Any] = [0] * (MAX_BATCH_CALLS - 10) + [{"type": "track", "userId": "u1"}] * 6 + [track("good")]
    calls += [{"type": "track", "event": "X", "messageId": f"anon-{i}"} for i in range(3)]
    answer = _post(client, "/v1/batch", key, json.dumps({"batch": calls}).encode()).json()
    assert answer["accepted"] == 1
    assert answer["rejectedCount"] == MAX_BATCH_CALLS - 1
    assert len(answer["rejected"]) == 100
    assert answer["rejected"][0] == {"index": 0, "messageId": "", "reason": "event must be a JSON object"}

    rows = IngestRejection.objects.all()
    # The first five one by one, then one row per reason of the rest (three reasons here).
    assert rows.count() == REJECTIONS_KEPT + 3
    assert rows.aggregate(total=Sum("count"))["total"] == MAX_BATCH_CALLS - 1
    per_reason = dict(rows.values_list("reason").annotate(total=Sum("count")))
    assert per_reason == {
        "event must be a JSON object": MAX_BATCH_CALLS - 10,
        "event (the event name) is required for track": 6,
        "userId or anonymousId is required": 3,
    }


def test_rejections_older_than_30_days_expire_in_a_nightly_job(client: Client, key: str) -> None:
    _post(client, "/v1/batch", key, json.dumps({"batch": [0, 0]}).encode())
    old = IngestRejection.objects.order_by("id").first()
    assert old is not None
    IngestRejection.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=31))
    assert jobs.expire_rejections() == 1
    assert IngestRejection.objects.count() == 1
    assert SCHEDULE["expire-ingest-rejections"]["task"] == jobs.expire_rejections.name


def test_a_workspace_with_its_requests_under_way_does_not_hold_up_another(
    client: Client, key: str, other_workspace: Workspace
) -> None:
    other_key = write_key_create(workspace=other_workspace, name="Theirs")[1]
    workspace_id = Workspace.objects.get(slug="acme").pk
    # Acme's earlier requests occupy its share of this process's request threads.
    with workspace_slots.slot(workspace_id) as first, workspace_slots.slot(workspace_id) as second:
        assert first and second
        refused = _post(client, "/v1/track", key, json.dumps(track("a")).encode())
        theirs = _post(client, "/v1/track", other_key, json.dumps(track("o")).encode())
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert theirs.status_code == 200
    # Once acme's requests finish its next one goes through.
    assert _post(client, "/v1/track", key, json.dumps(track("a")).encode()).status_code == 200
    assert UsageEvent.objects.count() == 2


def test_a_slot_is_given_back_when_the_request_fails() -> None:
    slots = ConcurrencyLimiter(1)
    with pytest.raises(RuntimeError), slots.slot(7) as allowed:
        assert allowed
        raise RuntimeError("store down")
    with slots.slot(7) as allowed:
        assert allowed


@pytest.mark.django_db(transaction=True)
def test_identify_calls_are_committed_in_chunks_and_a_resend_applies_the_rest_once(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch of identify calls is hundreds of ORM writes: committed IDENTITY_CHUNK at a time, it
    # never holds SQLite's one write lock for long. A failure part-way answers 503 with the earlier
    # chunks kept, and the resend (Segment's clients resend on 503) applies the rest, once.
    calls = [
        {"type": "identify", "userId": f"u{i}", "messageId": f"i{i}", "traits": {"plan": "pro"}}
        for i in range(IDENTITY_CHUNK * 2 + 10)
    ]
    body = json.dumps({"batch": calls}).encode()
    real_identify = usage_services._identify

    def failing_at_the_second_chunk(workspace: Workspace, event: Any) -> None:
        if event.user_id == f"u{IDENTITY_CHUNK + 5}":
            raise OperationalError("database is locked")
        real_identify(workspace, event)

    monkeypatch.setattr(usage_services, "_identify", failing_at_the_second_chunk)
    response = _post(client, "/v1/batch", key, body)
    assert response.status_code == 503
    assert UsageUser.objects.count() == IDENTITY_CHUNK  # the first chunk is committed
    assert not UsageEvent.objects.exists()  # nothing acknowledged, nothing of the events stored

    monkeypatch.setattr(usage_services, "_identify", real_identify)
    answer = _post(client, "/v1/batch", key, body).json()
    assert (answer["accepted"], answer["duplicates"], answer["rejectedCount"]) == (len(calls), 0, 0)
    assert UsageUser.objects.count() == len(calls)
    assert UsageEvent.objects.count() == len(calls)


def _wait_until(condition: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_write_turns_go_first_come_first_served() -> None:
    # A request between two chunks of a big batch gets the next turn, before the big batch's next chunk.
    turns = WriteTurns()
    order: list[str] = []
    release = threading.Event()

    def writer(name: str, hold: threading.Event | None = None) -> None:
        with turns.turn():
            order.append(name)
            if hold is not None:
                hold.wait(10)

    big = threading.Thread(target=writer, args=("big chunk 1", release))
    big.start()
    _wait_until(lambda: order == ["big chunk 1"])
    small = threading.Thread(target=writer, args=("small request",))
    small.start()
    _wait_until(lambda: len(turns._queue) == 1)
    next_chunk = threading.Thread(target=writer, args=("big chunk 2",))
    next_chunk.start()
    _wait_until(lambda: len(turns._queue) == 2)
    release.set()
    for thread in (big, small, next_chunk):
        thread.join(10)
    assert order == ["big chunk 1", "small request", "big chunk 2"]
