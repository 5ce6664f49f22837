"""Inputs that once broke something, or that fuzzers reach for first, each kept as a named case.

The REST API answers them with a 400 (or 415) naming what is wrong; the ingest API never answers
500, refuses the event that carries them and stores nothing of it.
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from django.test import Client

from retain.accounts.models import Account
from retain.tenancy.models import Member
from retain.tenancy.services import api_token_create, write_key_create
from retain.usage.models import UsageEvent


@pytest.fixture
def api(alice: Member) -> Client:
    _, raw = api_token_create(member=alice, name="Hostile inputs")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {raw}")


@pytest.fixture
def ingest(alice: Member) -> Client:
    _, key = write_key_create(workspace=alice.workspace, name="Product")
    basic = base64.b64encode(f"{key}:".encode()).decode()
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Basic {basic}")


def post_json(client: Client, path: str, body: str | bytes, **headers: Any) -> Any:
    return client.post(path, body, content_type="application/json", **headers)


def refused_fields(response: Any) -> set[str]:
    assert response.status_code == 400, response.content
    return set(response.json()["errors"])


# The REST API -------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_string_is_refused_naming_the_field(api: Client) -> None:
    response = post_json(api, "/api/v1/accounts/", '{"name": "Glo\\ud800bex", "tier": "enterprise"}')
    assert refused_fields(response) == {"name"}
    assert not Account.objects.exists()


def test_a_nul_character_is_refused_naming_the_field(api: Client) -> None:
    # PostgreSQL cannot store NUL in text at all; SQLite would, and the two would disagree.
    response = post_json(api, "/api/v1/accounts/", json.dumps({"name": "Glo\x00bex"}))
    assert refused_fields(response) == {"name"}


def test_bytes_that_are_not_utf8_are_refused(api: Client) -> None:
    response = post_json(api, "/api/v1/accounts/", b'{"name": "\xff\xfe"}')
    assert refused_fields(response) == {"detail"}


def test_a_query_string_that_is_not_utf8_is_read_as_text(api: Client) -> None:
    assert api.get("/api/v1/accounts/?q=%ED%A0%80").status_code == 200  # a surrogate, UTF-8 encoded


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity"])
def test_a_number_beyond_float_is_refused(api: Client, account: Account, number: str) -> None:
    body = (
        f'{{"account": {account.pk}, "product": "Add-on", "mrr": {number}, "seats": 1,'
        ' "started_on": "2026-01-01", "term_end": "2027-01-01"}'
    )
    assert refused_fields(post_json(api, "/api/v1/subscriptions/", body)) <= {"mrr", "detail"}
    assert account.subscriptions.count() == 1


def test_a_huge_integer_in_a_body_is_refused_naming_the_field(api: Client, account: Account) -> None:
    body = {
        "account": account.pk,
        "product": "Add-on",
        "mrr": "1",
        "seats": 10**30,
        "started_on": "2026-01-01",
        "term_end": "2027-01-01",
    }
    assert refused_fields(post_json(api, "/api/v1/subscriptions/", json.dumps(body))) == {"seats"}


def test_a_huge_id_in_a_path_is_not_found(api: Client) -> None:
    assert api.get("/api/v1/accounts/" + "9" * 30 + "/").status_code == 404


@pytest.mark.parametrize(
    ("path", "parameter", "value"),
    [
        ("/api/v1/barriers/", "account", "9" * 30),
        ("/api/v1/barriers/", "milestone", "-9.05e+188"),
        ("/api/v1/goals/", "plan", "-1.0e+86"),
        ("/api/v1/objectives/", "goal", "1" + "0" * 30),
    ],
)
def test_an_id_filter_beyond_64_bits_is_refused(api: Client, path: str, parameter: str, value: str) -> None:
    """Found by the fuzzing (OverflowError on SQLite, a 500): ids past 64 bits in list filters."""
    assert refused_fields(api.get(path, {parameter: value})) == {parameter}


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"name": ' + '{"a": ' * 5_000 + "1" + "}" * 5_001])
def test_a_body_nested_too_deeply_is_refused(api: Client, body: str) -> None:
    response = post_json(api, "/api/v1/accounts/", body)
    assert refused_fields(response) == {"detail"}
    assert "nested too deeply" in response.json()["errors"]["detail"][0]


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-yaml"])
def test_a_body_of_another_type_is_unsupported(api: Client, content_type: str) -> None:
    response = api.post("/api/v1/accounts/", '{"name": "Globex"}', content_type=content_type)
    assert response.status_code == 415
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("/api/v1/accounts/?limit=ten", "limit"),
        ("/api/v1/accounts/?limit=0", "limit"),
        ("/api/v1/accounts/?limit=1e3", "limit"),
        ("/api/v1/accounts/?offset=-3", "offset"),
        ("/api/v1/accounts/?offset=" + "9" * 30, "offset"),
        ("/api/v1/members/?is_active=", "is_active"),
        ("/api/v1/journey-templates/?is_current=null", "is_current"),
        ("/api/v1/shared-links/?is_live=yes", "is_live"),
        ("/api/v1/tasks/?kind=", "kind"),
    ],
)
def test_a_filter_or_page_it_cannot_use_is_refused_not_ignored(api: Client, query: str, parameter: str) -> None:
    """These were read as "no filter" or "the default page": a typo silently widened the answer."""
    assert refused_fields(api.get(query)) == {parameter}


def test_well_formed_filters_and_pages_still_work(api: Client, alice: Member) -> None:
    assert api.get("/api/v1/members/?is_active=true&limit=1&offset=0").json()["count"] == 1
    assert api.get("/api/v1/members/?is_active=false").json()["count"] == 0


# The ingest API -----------------------------------------------------------------------------------


def track(message_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Signed In", "userId": "u1", "messageId": message_id, **fields}


def assert_not_stored(response: Any, message_id: str) -> None:
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")
    assert not UsageEvent.objects.filter(message_id=message_id).exists()


@pytest.mark.parametrize(
    ("message_id", "raw"),
    [
        ("surrogate", '{"type": "track", "event": "Signed \\ud800In", "userId": "u1", "messageId": "surrogate"}'),
        ("nul", json.dumps(track("nul", event="Signed\x00In"))),
        ("inf", '{"type": "track", "event": "x", "userId": "u1", "messageId": "inf", "properties": {"v": 1e999}}'),
        ("nan", '{"type": "track", "event": "x", "userId": "u1", "messageId": "nan", "properties": {"v": NaN}}'),
        ("huge", '{"type": "track", "event": "x", "userId": "u1", "messageId": "huge", "properties": {"v": 1%s}}'),
        ("deep", '{"type": "track", "event": "x", "userId": "u1", "messageId": "deep", "properties": %s}'),
        ("not-utf8", b'{"type": "track", "event": "\xff", "userId": "u1", "messageId": "not-utf8"}'),
    ],
)
def test_ingest_refuses_a_hostile_event_without_a_server_error(ingest: Client, message_id: str, raw: Any) -> None:
    if message_id == "huge":
        raw = raw % ("0" * 400)
    if message_id == "deep":
        raw = raw % ('{"a": ' * 100_000 + "1" + "}" * 100_000)
    assert_not_stored(post_json(ingest, "/v1/track", raw), message_id)


def test_ingest_still_takes_a_plain_event(ingest: Client, account: Account) -> None:
    response = post_json(ingest, "/v1/track", json.dumps(track("plain", context={"groupId": "crm-1"})))
    assert response.json()["accepted"] == 1


def test_a_gzip_bomb_is_refused_once_it_inflates_past_the_limit(ingest: Client) -> None:
    # 64 MB of JSON whitespace in about 64 KB: inflating it whole would fill memory.
    bomb = gzip.compress(b'{"batch": [' + b" " * (64 * 1024 * 1024) + b"]}")
    assert len(bomb) < 200_000
    response = post_json(ingest, "/v1/batch", bomb, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body", "encoding", "status"),
    [
        ("application/x-www-form-urlencoded", "type=track&event=x", "", 400),
        ("application/xml", "<track/>", "", 400),
        ("application/json", "[1, 2]", "", 400),
        ("application/json", "xx", "br", 415),
        ("application/json", "not gzip", "gzip", 400),
    ],
)
def test_ingest_refuses_a_body_it_cannot_read(
    ingest: Client, content_type: str, body: str, encoding: str, status: int
) -> None:
    headers = {"Content-Encoding": encoding} if encoding else {}
    response = ingest.post("/v1/batch", body, content_type=content_type, headers=headers)
    assert response.status_code == status
    assert response.json()["success"] is False


def test_a_multipart_body_without_parts_is_refused(api: Client, account: Account) -> None:
    """Text where a multipart body's parts should be once read as an empty form: a PATCH of nothing, 200."""
    boundary = "0d37f771f3609e9baf6be26654101f5f"
    body = f"--{boundary}\r\nTrue--{boundary}--\r\n"
    response = api.patch(
        f"/api/v1/accounts/{account.pk}/", body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400 and "no part" in response.content.decode()
