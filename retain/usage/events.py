"""Parsing and validating Segment/RudderStack-style calls, one event at a time (pure: no Django).

A request body is parsed once; problems with the whole body (not JSON, not an object, too big) are
BodyError, answered with a 4xx. Problems with one event (too big, missing ids, wrong types, lone
surrogates, NUL characters, NaN/Infinity) reject that event only and the rest of the batch is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import orjson

MAX_EVENT_BYTES = 32 * 1024
# Calls in one batch. Segment's clients send at most 500 KB, a few thousand small calls; the cap keeps
# one request's work (and its time holding the store's write lock) bounded whatever the body holds.
MAX_BATCH_CALLS = 2_500
# Deeper than any analytics payload needs, and well inside what orjson writes (254 levels) and what
# SQLite's JSON functions read (1,000): a deeper event could be stored but never rolled up.
MAX_EVENT_DEPTH = 64
# The width of the text columns events are stored in (usage_event, usage_user, accounts).
MAX_ID_CHARS = 200
# Times whose calendar day exists in every time zone (rollups count days in the workspace's zone);
# year 1 and 9999 would overflow when moved by a zone's offset.
EARLIEST = dt.datetime(2, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9998, 12, 31, tzinfo=dt.UTC)
CALL_TYPES = ("track", "identify", "group", "page", "screen", "alias")
STORED_TYPES = ("track", "page", "screen")


class BodyError(ValueError):
    """The request as a whole cannot be read; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _NonFinite:
    """Stands in for NaN, Infinity and numbers too large for a float while parsing."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_constant(text: str) -> _NonFinite:
    return _NonFinite(text)


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _parse_int(text: str) -> int | _NonFinite:
    # JSON numbers become Python ints of any size; beyond 64 bits no store or client agrees. Anything
    # over 20 characters is beyond 64 bits, and is not converted at all: Python refuses to convert
    # over 4,300 digits, and the conversion is quadratic below that.
    if len(text) > 20:
        return _NonFinite(text)
    value = int(text)
    return value if -(2**63) <= value < 2**63 else _NonFinite(text)


# 19 digits in a row may be an integer beyond 64 bits, which orjson would turn into a float. Found
# by mapping every digit to "0" and looking for 19 of them: a regular expression took longer than
# parsing the body.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19


def _may_hold_long_integer(raw: bytes) -> bool:
    return _LONG_DIGITS in raw.translate(_DIGITS_AS_ZERO)


def parse_body(raw: bytes) -> dict[str, Any]:
    """Parse a request body; non-finite numbers are kept as markers so only their event is refused.

    The common body goes through orjson, several times faster than the standard library. A body
    orjson refuses (NaN, 1e999, a lone surrogate escape, or not JSON at all) or one that may hold an
    integer beyond 64 bits takes the standard library's path, whose hooks mark those values so only
    their event is refused, and whose errors name the line and column.
    """
    if not _may_hold_long_integer(raw):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if not isinstance(body, dict):
                raise BodyError(f"body must be a JSON object, not {type(body).__name__}")
            return body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"body is not UTF-8 (byte {exc.start})") from None
    try:
        body = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else "nested too deeply"
        )
        raise BodyError(f"body is not valid JSON ({detail})") from None
    if not isinstance(body, dict):
        raise BodyError(f"body must be a JSON object, not {type(body).__name__}")
    return body


@dataclass(slots=True)
class Event:
    """One accepted call, normalised. Not frozen: a frozen dataclass's __init__ sets each field
    through object.__setattr__, a third of the time of an event's checks on the ingest hot path."""

    type: str
    message_id: str
    user_id: str
    anonymous_id: str
    name: str
    group_id: str
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    timestamp: dt.datetime
    received_at: dt.datetime
    size: int = 0
    index: int = 0  # position in the request's batch, for naming it in the answer


@dataclass(frozen=True)
class Rejection:
    index: int
    message_id: str
    reason: str


@dataclass
class Checked:
    events: list[Event] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    duplicates: int = 0


def _find_bad_value(value: Any, path: str) -> str | None:
    """The first value no store can keep faithfully: NaN/Infinity, lone surrogates, NUL characters."""
    if isinstance(value, _NonFinite):
        shown = value.text if len(value.text) <= 40 else f"{value.text[:20]}… ({len(value.text)} characters)"
        return f"{path} is {shown}, which is not a finite number"
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path} contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{path} contains a lone surrogate (invalid Unicode)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _find_bad_value(key, f"{path} key") or _find_bad_value(item, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(value, list):
        for position, item in enumerate(value):
            problem = _find_bad_value(item, f"{path}[{position}]")
            if problem:
                return problem
    return None


def _too_deep(value: Any, limit: int) -> bool:
    """Whether objects and lists nest deeper than `limit` (a loop, not recursion: any depth is safe)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_time(value: Any, name: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        moment = moment.astimezone(dt.UTC)
    except OverflowError:
        moment = dt.datetime.min.replace(tzinfo=dt.UTC)  # only year 1 or 9999 with an offset get here
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"{name} {value[:40]!r} is outside the years {EARLIEST.year} to {LATEST.year}")
    return moment


def _identifier(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if type(value) is str:  # the common case, without the checks below
        text = value.strip()
    elif isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{key} must be a string")
    else:
        text = str(value).strip()
    if len(text) > MAX_ID_CHARS:
        raise ValueError(f"{key} is longer than {MAX_ID_CHARS} characters")
    return text


def _object(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be an object")
    return value


def content_message_id(
    call_type: str, user: str, group: str, name: str, timestamp: dt.datetime, properties: dict[str, Any]
) -> str:
    """A stable id for calls sent without one, so a resend is still recognised as a duplicate."""
    canonical = json.dumps(
        [call_type, user, group, name, timestamp.isoformat(), properties], sort_keys=True, default=str
    )
    return "h-" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def check_event(
    raw: Any, *, index: int, default_type: str | None, received_at: dt.datetime, sent_at: dt.datetime | None
) -> Event | Rejection:
    """Validate one call. `sent_at` is the batch's, used when the call has none of its own."""
    message_id = raw.get("messageId") if isinstance(raw, dict) else None
    shown_id = message_id if isinstance(message_id, str) else ""
    if not isinstance(raw, dict):
        return Rejection(index, "", "event must be a JSON object")
    try:
        # Fails on the markers of non-finite numbers, lone surrogates, integers beyond 64 bits and
        # nesting beyond orjson's limit.
        encoded: bytes | None = orjson.dumps(raw)
    except (TypeError, orjson.JSONEncodeError):
        encoded = None
    # Each level of nesting opens a bracket: only an event with that many brackets is walked.
    brackets = MAX_EVENT_DEPTH + 1 if encoded is None else encoded.count(b"{") + encoded.count(b"[")
    if brackets > MAX_EVENT_DEPTH and _too_deep(raw, MAX_EVENT_DEPTH):
        return Rejection(index, shown_id, f"event is nested deeper than {MAX_EVENT_DEPTH} levels")
    if encoded is not None:
        size = len(encoded)
        suspect = b"\\u0000" in encoded
    else:
        size = len(
            json.dumps(raw, default=lambda o: o.text if isinstance(o, _NonFinite) else str(o), separators=(",", ":"))
            .encode("utf-8", "surrogatepass")
        )  # fmt: skip
        suspect = True
    if size > MAX_EVENT_BYTES:
        return Rejection(index, shown_id, f"event is {size} bytes, over the limit of {MAX_EVENT_BYTES}")
    problem = _find_bad_value(raw, "event") if suspect else None
    if problem:
        return Rejection(index, shown_id, problem)
    call_type = raw.get("type") or default_type
    if call_type not in CALL_TYPES:
        return Rejection(index, shown_id, f"type must be one of {', '.join(CALL_TYPES)}")
    try:
        user_id = _identifier(raw, "userId")
        anonymous_id = _identifier(raw, "anonymousId")
        if not user_id and not anonymous_id:
            raise ValueError("userId or anonymousId is required")
        if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()):
            raise ValueError("messageId must be a non-empty string")
        if isinstance(message_id, str) and len(message_id.strip()) > MAX_ID_CHARS:
            raise ValueError(f"messageId is longer than {MAX_ID_CHARS} characters")
        name = ""
        if call_type == "track":
            name = raw.get("event")  # type: ignore[assignment]  # checked to be a string just below
            if not isinstance(name, str) or not name.strip():
                raise ValueError("event (the event name) is required for track")
            name = name.strip()
        elif call_type in ("page", "screen"):
            page_name = raw.get("name")
            if page_name is not None and not isinstance(page_name, str):
                raise ValueError("name must be a string")
            name = (page_name or "").strip()
        if len(name) > MAX_ID_CHARS:
            raise ValueError(f"event name is longer than {MAX_ID_CHARS} characters")
        context = _object(raw, "context")
        properties = _object(raw, "properties")
        traits = _object(raw, "traits") or _object(context, "traits")
        group_id = _identifier(raw, "groupId")
        if call_type == "group" and not group_id:
            raise ValueError("groupId is required for group")
        if not group_id:
            group_id = _identifier(context, "groupId")
        timestamp = parse_time(raw.get("timestamp"), "timestamp")
        original = parse_time(raw.get("originalTimestamp"), "originalTimestamp")
        own_sent_at = parse_time(raw.get("sentAt"), "sentAt") or sent_at
        timestamp = corrected_timestamp(timestamp or original, own_sent_at, received_at)
    except ValueError as exc:
        return Rejection(index, shown_id, str(exc))
    user_key = user_id or anonymous_id
    if not isinstance(message_id, str):
        message_id = content_message_id(call_type, user_key, group_id, name, timestamp, properties)
    return Event(
        type=call_type,
        message_id=message_id.strip(),
        user_id=user_id,
        anonymous_id=anonymous_id,
        name=name,
        group_id=group_id,
        properties=properties,
        traits=traits,
        context=context,
        timestamp=timestamp,
        received_at=received_at,
        size=size,
        index=index,
    )


def corrected_timestamp(
    timestamp: dt.datetime | None, sent_at: dt.datetime | None, received_at: dt.datetime
) -> dt.datetime:
    """Segment's clock-skew correction: timestamp = receivedAt − (sentAt − timestamp).

    The client's clock may be wrong, but the time between the event and its sending is measured on
    that same clock, so it carries over to our clock. Without sentAt the timestamp is taken as is;
    without a timestamp the event happened when it was received.
    """
    if timestamp is None:
        return received_at
    if sent_at is None:
        return timestamp
    try:
        corrected = received_at - (sent_at - timestamp)
    except OverflowError:
        raise ValueError("timestamp is too far from sentAt to correct the client's clock") from None
    if not EARLIEST <= corrected <= LATEST:
        raise ValueError("timestamp is too far from sentAt to correct the client's clock")
    return corrected


def check_calls(body: dict[str, Any], *, default_type: str | None, received_at: dt.datetime) -> Checked:
    """Validate a single call (default_type set) or a batch (`batch` list) into events and rejections."""
    try:
        sent_at = parse_time(body.get("sentAt"), "sentAt")
    except ValueError as exc:
        raise BodyError(str(exc)) from None
    if default_type is None:
        calls = body.get("batch")
        if not isinstance(calls, list):
            raise BodyError("batch must be a list of events")
        if len(calls) > MAX_BATCH_CALLS:
            raise BodyError(
                f"batch has {len(calls)} calls, over the limit of {MAX_BATCH_CALLS}; send smaller batches", status=413
            )
    else:
        calls = [body]
    checked = Checked()
    seen: set[str] = set()
    for index, raw in enumerate(calls):
        result = check_event(raw, index=index, default_type=default_type, received_at=received_at, sent_at=sent_at)
        if isinstance(result, Rejection):
            checked.rejections.append(result)
        elif result.message_id in seen:
            checked.duplicates += 1  # the same call twice in one batch is one call
        else:
            seen.add(result.message_id)
            checked.events.append(result)
    return checked
