"""The Segment/RudderStack-compatible ingest endpoints: /v1/track, identify, group, page, batch.

Answers: 200 only after the accepted events are committed (counting refused events and naming the
first 100 with reasons); 401 for a bad or missing write key; 400 for a body that is not a JSON
object; 413 over 4 MB after decompression or over 2,500 calls in a batch; 429 with Retry-After when
a key sends too fast or its workspace has too many requests under way; 503 with Retry-After when
the store fails. Never a 500 for anything a client sends, and never a 503 for a call that no retry
can fix (that call is refused on its own).
"""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from retain.usage.events import BodyError, check_calls, parse_body
from retain.usage.limits import rate_limiter, workspace_slots
from retain.usage.selectors import write_key_for
from retain.usage.services import ingest_calls

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # after decompression (RudderStack's limit; Segment sends ≤ 500 KB)
RETRY_AFTER_SECONDS = 5
MAX_LISTED = 100  # rejected calls named in an answer; rejectedCount has them all


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"success": False, "error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _body(request: HttpRequest) -> bytes:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyError(f"request is over {MAX_REQUEST_BYTES} bytes", status=413) from None
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        data = raw
    elif encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # Inflate at most one byte past the limit: a small bomb must not fill memory.
            data = inflater.decompress(raw, MAX_REQUEST_BYTES + 1)
        except zlib.error:
            raise BodyError("body is not valid gzip") from None
        if len(data) > MAX_REQUEST_BYTES or inflater.unconsumed_tail:
            raise BodyError(f"request is over {MAX_REQUEST_BYTES} bytes after decompression", status=413)
        if not inflater.eof:
            raise BodyError("body is truncated gzip")
    else:
        raise BodyError(f"Content-Encoding {encoding!r} is not supported (use gzip)", status=415)
    if len(data) > MAX_REQUEST_BYTES:
        raise BodyError(f"request is over {MAX_REQUEST_BYTES} bytes after decompression", status=413)
    return data


def _basic_user(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic" or not credentials:
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def _ingest(request: HttpRequest, call_type: str | None) -> JsonResponse:
    # Any database failure, from the key look-up to the commit, means nothing was stored: answer
    # 503 so the sender retries, never a 500 and never a 200 for data not saved.
    try:
        return _ingest_or_raise(request, call_type)
    except DatabaseError:
        log.exception("ingest store failed; answering 503")
        return _error(503, "the event store is unavailable; retry later", Retry_After=str(RETRY_AFTER_SECONDS))


def _ingest_or_raise(request: HttpRequest, call_type: str | None) -> JsonResponse:
    received_at = timezone.now()
    # Segment's clients send the key as the Basic user name; some senders put it in the body.
    header_key = _basic_user(request)
    write_key = write_key_for(header_key) if header_key else None
    if header_key and write_key is None:
        return _error(401, "invalid write key")
    try:
        body = parse_body(_body(request))
    except BodyError as exc:
        if write_key is None:
            return _error(401, "missing write key")
        return _error(exc.status, str(exc))
    if write_key is None:
        body_key = body.get("writeKey")
        write_key = write_key_for(body_key) if isinstance(body_key, str) and body_key else None
        if write_key is None:
            return _error(401, "missing or invalid write key")
    wait = rate_limiter.acquire(write_key.pk)
    if wait:
        return _error(429, "too many requests for this write key", Retry_After=str(wait))
    with workspace_slots.slot(write_key.workspace_id) as allowed:
        if not allowed:
            return _error(429, "too many requests at once for this workspace", Retry_After="1")
        try:
            checked = check_calls(body, default_type=call_type, received_at=received_at)
        except BodyError as exc:
            return _error(exc.status, str(exc))
        raw_calls: list[Any] = body["batch"] if call_type is None else [body]
        result = ingest_calls(write_key=write_key, checked=checked, received_at=received_at, raw_calls=raw_calls)
    rejected = sorted(result.rejections, key=lambda r: r.index)
    return JsonResponse(
        {
            "success": True,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            # A batch of nothing but bad calls is answered with its count and the first reasons,
            # not an answer as large as the batch.
            "rejectedCount": len(rejected),
            "rejected": [
                {"index": r.index, "messageId": r.message_id, "reason": r.reason} for r in rejected[:MAX_LISTED]
            ],
        }
    )


def _endpoint(call_type: str | None) -> Callable[[HttpRequest], HttpResponseBase]:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        return _ingest(request, call_type)

    view.__name__ = f"ingest_{call_type or 'batch'}"
    return view


track = _endpoint("track")
identify = _endpoint("identify")
group = _endpoint("group")
page = _endpoint("page")
screen = _endpoint("screen")
batch = _endpoint(None)
