"""An `NPS Submitted` track event is an answer: recorded once, even when the batch is resent."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from retain.accounts.choices import EntryKind
from retain.accounts.models import Contact, TimelineEntry
from retain.surveys.models import Response, Survey
from retain.tenancy.models import Workspace
from retain.tenancy.services import write_key_create
from retain.usage.models import UsageEvent

pytestmark = pytest.mark.urls("retain.usage.tests.urls")


@pytest.fixture
def key(workspace: Workspace) -> str:
    return write_key_create(workspace=workspace, name="Product")[1]


def send(client: Client, key: str, *calls: dict[str, Any]) -> Any:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    body = json.dumps({"batch": list(calls)})
    response = client.post("/v1/batch", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content
    return response.json()


def nps_event(message_id: str, score: Any, user_id: str = "crm-jane", **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "NPS Submitted",
        "userId": user_id,
        "messageId": message_id,
        "properties": {"score": score, **properties},
    }


@pytest.fixture
def jane_in_product(jane: Contact) -> Contact:
    jane.external_id = "crm-jane"
    jane.save()
    return jane


def test_an_nps_event_records_an_answer(client: Client, key: str, nps: Survey, jane_in_product: Contact) -> None:
    send(client, key, nps_event("m1", 3, comment="Too many clicks"))
    answer = Response.objects.get()
    assert (answer.survey, answer.contact, answer.score, answer.source) == (nps, jane_in_product, 3, "product")
    assert answer.comment == "Too many clicks"
    assert TimelineEntry.objects.filter(kind=EntryKind.DETRACTOR_ANSWERED).count() == 1
    jane_in_product.refresh_from_db()
    assert jane_in_product.nps_category == "detractor"


def test_a_resent_batch_records_the_answer_once(
    client: Client, key: str, nps: Survey, jane_in_product: Contact
) -> None:
    first = send(client, key, nps_event("m1", 9), nps_event("m2", 10))
    again = send(client, key, nps_event("m1", 9), nps_event("m2", 10))
    assert (first["accepted"], again["duplicates"]) == (2, 2)
    assert Response.objects.count() == 2
    assert TimelineEntry.objects.filter(kind=EntryKind.SURVEY_ANSWERED).count() == 2


def test_only_events_stored_now_count(client: Client, key: str, nps: Survey, jane: Contact) -> None:
    # Stored while the user was unknown, then resent once the contact can be matched: no answer.
    send(client, key, nps_event("m1", 9))
    jane.external_id = "crm-jane"
    jane.save()
    send(client, key, nps_event("m1", 9))
    assert Response.objects.count() == 0


def test_the_user_is_matched_by_an_identify_in_the_same_batch(
    client: Client, key: str, nps: Survey, jane: Contact
) -> None:
    identify = {"type": "identify", "userId": "u-77", "messageId": "i1", "traits": {"email": "jane@globex.example"}}
    send(client, key, identify, nps_event("m1", 8, user_id="u-77"))
    assert Response.objects.get().contact == jane


def test_an_unmatched_or_unscored_event_is_kept_and_the_batch_succeeds(
    client: Client, key: str, nps: Survey, jane_in_product: Contact
) -> None:
    result = send(
        client,
        key,
        nps_event("m1", 9, user_id="someone-else"),
        nps_event("m2", "nine"),
        nps_event("m3", 11),
        nps_event("m4", 7.0),
    )
    assert result["accepted"] == 4
    assert UsageEvent.objects.count() == 4
    assert [(r.score, r.source_key) for r in Response.objects.all()] == [(7, "event:m4")]


def test_without_an_nps_survey_one_is_made_for_in_product_answers(
    client: Client, key: str, jane_in_product: Contact
) -> None:
    send(client, key, nps_event("m1", 10))
    answer = Response.objects.get()
    assert (answer.survey.name, answer.survey.schedule_kind) == ("In-app NPS", "manual")


def test_a_batch_without_nps_events_does_not_look_for_answers(
    client: Client, key: str, jane_in_product: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(**_: Any) -> int:
        raise AssertionError("looked for survey answers in a batch without any")

    monkeypatch.setattr("retain.surveys.services.responses_record_from_events", must_not_run)
    signed_in = {"type": "track", "event": "Signed In", "userId": "crm-jane", "messageId": "s1"}
    send(client, key, signed_in)
    assert Response.objects.count() == 0
    assert not Survey.objects.exists()
