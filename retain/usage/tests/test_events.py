"""Per-event validation: a bad event is refused with its reason, the rest of the batch is kept."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retain.usage.events import (
    MAX_EVENT_BYTES,
    BodyError,
    Event,
    Rejection,
    check_calls,
    check_event,
    corrected_timestamp,
    parse_body,
)

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _check(raw: object, default_type: str | None = "track") -> Event | Rejection:
    return check_event(raw, index=0, default_type=default_type, received_at=NOW, sent_at=None)


def _reason(raw_json: str) -> str:
    result = _check(parse_body(raw_json.encode()))
    assert isinstance(result, Rejection)
    return result.reason


def test_a_track_call_is_normalised() -> None:
    result = _check(
        {
            "userId": 42,
            "event": " Workflow Activated ",
            "messageId": "m-1",
            "properties": {"feature": "workflows"},
            "context": {"groupId": "acct-7"},
            "timestamp": "2026-11-22T11:00:00Z",
        }
    )
    assert isinstance(result, Event)
    assert (result.user_id, result.name, result.group_id, result.message_id) == (
        "42",
        "Workflow Activated",
        "acct-7",
        "m-1",
    )
    assert result.timestamp == dt.datetime(2026, 11, 22, 11, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"event": "X"}', "userId or anonymousId is required"),
        ('{"userId": "u"}', "event (the event name) is required for track"),
        ('{"userId": "u", "event": 5}', "event (the event name) is required for track"),
        ('{"userId": ["u"], "event": "X"}', "userId must be a string"),
        ('{"userId": "u", "event": "X", "properties": [1]}', "properties must be an object"),
        ('{"userId": "u", "event": "X", "timestamp": "yesterday"}', "timestamp 'yesterday' is not an ISO 8601 time"),
        (
            '{"userId": "u", "event": "X", "properties": {"n": NaN}}',
            "event.properties.n is NaN, which is not a finite number",
        ),
        ('{"userId": "u", "event": "X", "properties": {"n": Infinity}}', "is Infinity, which is not a finite number"),
        ('{"userId": "u", "event": "X", "properties": {"n": 1e999}}', "is 1e999, which is not a finite number"),
        (
            '{"userId": "u", "event": "X", "properties": {"s": "a\\u0000b"}}',
            "event.properties.s contains a NUL character",
        ),
        ('{"userId": "u", "event": "X", "properties": {"s": "\\ud800"}}', "contains a lone surrogate"),
        ('{"userId": "u", "event": "X", "messageId": ""}', "messageId must be a non-empty string"),
        ('{"userId": "u", "type": "teleport"}', "type must be one of"),
    ],
)
def test_a_bad_event_is_refused_with_its_reason(raw: str, reason: str) -> None:
    assert reason in _reason(raw)


def test_an_event_over_32_kb_is_refused() -> None:
    raw = {"userId": "u", "event": "X", "properties": {"blob": "x" * MAX_EVENT_BYTES}}
    result = _check(raw)
    assert isinstance(result, Rejection)
    assert "over the limit of 32768" in result.reason


def test_a_group_call_needs_a_group_id() -> None:
    result = _check({"userId": "u"}, default_type="group")
    assert isinstance(result, Rejection)
    assert result.reason == "groupId is required for group"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "body is not valid JSON (line 1 column 2"),
        (b"[1, 2]", "body must be a JSON object, not list"),
        (b"\xff\xfe", "body is not UTF-8"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(BodyError, match=message.replace("(", r"\(")) as caught:
        parse_body(body)
    assert caught.value.status == 400


def test_a_batch_keeps_the_good_events_and_lists_the_bad() -> None:
    body = parse_body(
        json.dumps(
            {
                "batch": [
                    {"type": "track", "userId": "u", "event": "Signed In", "messageId": "a"},
                    {"type": "track", "userId": "u", "messageId": "b"},
                    {"type": "identify", "userId": "u", "traits": {"email": "u@x.example"}, "messageId": "c"},
                    {"type": "track", "userId": "u", "event": "Signed In", "messageId": "a"},
                ]
            }
        ).encode()
    )
    checked = check_calls(body, default_type=None, received_at=NOW)
    assert [event.message_id for event in checked.events] == ["a", "c"]
    assert [(r.index, r.message_id) for r in checked.rejections] == [(1, "b")]
    assert checked.duplicates == 1


def test_a_batch_must_be_a_list() -> None:
    with pytest.raises(BodyError, match="batch must be a list"):
        check_calls({"batch": {}}, default_type=None, received_at=NOW)


def test_clock_skew_is_corrected_with_sent_at() -> None:
    # The client's clock is an hour fast: it says the event happened at 13:00 and was sent at 13:05.
    timestamp = dt.datetime(2026, 11, 22, 13, 0, tzinfo=dt.UTC)
    sent_at = dt.datetime(2026, 11, 22, 13, 5, tzinfo=dt.UTC)
    assert corrected_timestamp(timestamp, sent_at, NOW) == dt.datetime(2026, 11, 22, 11, 55, tzinfo=dt.UTC)
    assert corrected_timestamp(timestamp, None, NOW) == timestamp
    assert corrected_timestamp(None, sent_at, NOW) == NOW


def test_calls_without_a_message_id_get_a_stable_one() -> None:
    raw = {"userId": "u", "event": "X", "timestamp": "2026-11-01T00:00:00Z", "properties": {"a": 1}}
    first, second = _check(dict(raw)), _check(dict(raw))
    assert isinstance(first, Event) and isinstance(second, Event)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("h-")


@given(st.binary(max_size=80) | st.text(alphabet="0123456789a-.", max_size=80).map(str.encode))
def test_the_long_integer_check_finds_19_digits_in_a_row_exactly_where_a_regular_expression_does(raw: bytes) -> None:
    from retain.usage.events import _may_hold_long_integer

    assert _may_hold_long_integer(raw) == bool(re.search(rb"\d{19}", raw))


def test_nineteen_digits_in_a_row_send_a_body_to_the_careful_parser_and_eighteen_do_not() -> None:
    from retain.usage.events import _may_hold_long_integer

    assert _may_hold_long_integer(b'{"n": 9223372036854775808}')
    assert not _may_hold_long_integer(b'{"n": 922337203685477580}')
