"""The messaging API: outbound log and retry, suppression list, bounce webhook, inbound event webhook."""

from __future__ import annotations

from typing import Any

import pytest

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage, Suppression
from retain.tenancy.models import Member, Workspace


@pytest.fixture
def failed(account: Account, jane: Contact) -> OutboundMessage:
    message = services.email_enqueue(
        account=account, contact=jane, subject="Welcome", body="Hi", idempotency_key="welcome:1"
    )
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, next_attempt_at=None, last_error="SMTP: connection refused"
    )
    message.refresh_from_db()
    return message


# Bounce and complaint webhook --------------------------------------------------------------------


def test_a_bounce_marks_the_contact_suppresses_the_address_and_writes_the_timeline(
    client_for: ClientFor, alice: Member, jane: Contact, failed: OutboundMessage
) -> None:
    events = [
        {
            "email": "Jane@Globex.example",
            "type": "bounce",
            "reason": "550 mailbox unknown",
            "message_id": failed.message_id,
        }
    ]
    response = client_for(alice).post("/api/v1/email-events/", events, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"events": 1, "contacts_marked": 1}
    jane.refresh_from_db()
    assert jane.email_bounced_at is not None and jane.email_complaint_at is None
    assert Suppression.objects.get().reason == "bounce"
    [entry] = TimelineEntry.objects.filter(kind=EntryKind.EMAIL_BOUNCED)
    assert entry.data == {"contact_id": jane.pk, "role": "champion", "type": "bounce", "reason": "550 mailbox unknown"}
    failed.refresh_from_db()
    assert failed.status_reason == "bounced: 550 mailbox unknown"
    # The provider retries its webhook: nothing new happens.
    again = client_for(alice).post("/api/v1/email-events/", events, format="json")
    assert again.json() == {"events": 1, "contacts_marked": 0}
    assert TimelineEntry.objects.filter(kind=EntryKind.EMAIL_BOUNCED).count() == 1


def test_a_complaint_is_recorded_as_such(client_for: ClientFor, mark: Member, jane: Contact) -> None:
    events = [{"email": "jane@globex.example", "type": "complaint", "occurred_at": "2026-01-05T10:00:00Z"}]
    assert client_for(mark).post("/api/v1/email-events/", events, format="json").status_code == 200
    jane.refresh_from_db()
    assert jane.email_complaint_at is not None and jane.email_complaint_at.isoformat().startswith("2026-01-05T10:00")
    assert TimelineEntry.objects.get(kind=EntryKind.EMAIL_BOUNCED).data["type"] == "complaint"


def test_an_address_without_a_contact_is_still_suppressed(client_for: ClientFor, alice: Member) -> None:
    events = [{"email": "nobody@elsewhere.example", "type": "bounce"}]
    assert client_for(alice).post("/api/v1/email-events/", events, format="json").json()["contacts_marked"] == 0
    assert Suppression.objects.get().email == "nobody@elsewhere.example"


def test_bad_events_are_named_by_index_and_field_and_nothing_is_written(
    client_for: ClientFor, alice: Member, jane: Contact
) -> None:
    events = [
        {"email": "jane@globex.example", "type": "bounce"},
        {"email": "not-an-address", "type": "bounce"},
        {"email": "x@y.example", "type": "deferred"},
    ]
    response = client_for(alice).post("/api/v1/email-events/", events, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"1.email", "2.type"}
    assert not Suppression.objects.exists()
    jane.refresh_from_db()
    assert jane.email_bounced_at is None
    not_a_list = client_for(alice).post("/api/v1/email-events/", {"email": "a@b.example"}, format="json")
    assert not_a_list.status_code == 400 and "detail" in not_a_list.json()["errors"]


def test_the_bounce_webhook_requires_rw_access(client_for: ClientFor, vic: Member, jane: Contact) -> None:
    events = [{"email": "jane@globex.example", "type": "bounce"}]
    assert client_for(vic).post("/api/v1/email-events/", events, format="json").status_code == 403
    assert not Suppression.objects.exists()


def test_an_outsiders_bounce_stays_in_their_workspace(
    client_for: ClientFor, olga: Member, jane: Contact, workspace: Workspace
) -> None:
    events = [{"email": "jane@globex.example", "type": "bounce"}]
    assert client_for(olga).post("/api/v1/email-events/", events, format="json").json()["contacts_marked"] == 0
    jane.refresh_from_db()
    assert jane.email_bounced_at is None
    assert not Suppression.objects.filter(workspace=workspace).exists()


def test_it_needs_a_token(client: Any) -> None:
    assert client.post("/api/v1/email-events/", [], content_type="application/json").status_code == 401
    assert client.post("/api/v1/hooks/events/", {}, content_type="application/json").status_code == 401


# Inbound event webhook ---------------------------------------------------------------------------


def test_an_inbound_event_lands_on_the_timeline_by_external_id_or_id(
    client_for: ClientFor, alice: Member, account: Account
) -> None:
    api = client_for(alice)
    by_crm_id = api.post(
        "/api/v1/hooks/events/", {"account": "crm-1", "name": "Invoice Overdue", "data": {"days": 14}}, format="json"
    )
    assert by_crm_id.status_code == 201, by_crm_id.json()
    entry = TimelineEntry.objects.get(pk=by_crm_id.json()["id"])
    assert entry.kind == EntryKind.WEBHOOK_RECEIVED and entry.account == account
    assert entry.data == {"name": "Invoice Overdue", "payload": {"days": 14}}
    by_id = api.post("/api/v1/hooks/events/", {"account": str(account.pk), "name": "Ping"}, format="json")
    assert by_id.status_code == 201 and by_id.json()["account"] == account.pk


def test_an_idempotency_key_records_an_inbound_event_once(
    client_for: ClientFor, alice: Member, account: Account
) -> None:
    api = client_for(alice)
    body = {"account": "crm-1", "name": "Invoice Overdue"}
    first = api.post("/api/v1/hooks/events/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-77")
    second = api.post("/api/v1/hooks/events/", body, format="json", HTTP_IDEMPOTENCY_KEY="inv-77")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    assert TimelineEntry.objects.filter(kind=EntryKind.WEBHOOK_RECEIVED).count() == 1


def test_a_bad_inbound_event_names_the_field(client_for: ClientFor, alice: Member, account: Account) -> None:
    api = client_for(alice)
    unknown = api.post("/api/v1/hooks/events/", {"account": "crm-404", "name": "X"}, format="json")
    assert unknown.status_code == 400 and "account" in unknown.json()["errors"]
    nameless = api.post("/api/v1/hooks/events/", {"account": "crm-1"}, format="json")
    assert nameless.status_code == 400 and "name" in nameless.json()["errors"]
    assert not TimelineEntry.objects.filter(kind=EntryKind.WEBHOOK_RECEIVED).exists()


def test_inbound_events_require_rw_access_and_check_ownership(
    client_for: ClientFor, vic: Member, olga: Member, account: Account
) -> None:
    body = {"account": str(account.pk), "name": "X"}
    assert client_for(vic).post("/api/v1/hooks/events/", body, format="json").status_code == 403
    # Another workspace's account does not exist for an outsider.
    outsider = client_for(olga).post("/api/v1/hooks/events/", body, format="json")
    assert outsider.status_code == 400 and "account" in outsider.json()["errors"]
    assert not TimelineEntry.objects.filter(kind=EntryKind.WEBHOOK_RECEIVED).exists()


# Outbound log ------------------------------------------------------------------------------------


def test_the_outbound_log_lists_and_filters(client_for: ClientFor, vic: Member, failed: OutboundMessage) -> None:
    api = client_for(vic)
    rows = api.get("/api/v1/messages/").json()["results"]
    assert [row["id"] for row in rows] == [failed.pk]
    assert rows[0]["status"] == "failed" and rows[0]["last_error"] == "SMTP: connection refused"
    assert api.get("/api/v1/messages/?status=sent").json()["results"] == []
    assert api.get(f"/api/v1/messages/{failed.pk}/").json()["message_id"] == failed.message_id


def test_a_failed_message_is_retried_by_hand(client_for: ClientFor, carol: Member, failed: OutboundMessage) -> None:
    response = client_for(carol).post(f"/api/v1/messages/{failed.pk}/retry/")
    assert response.status_code == 200
    assert response.json()["status"] == "queued" and response.json()["attempts"] == 0
    again = client_for(carol).post(f"/api/v1/messages/{failed.pk}/retry/")
    assert again.status_code == 400 and "status" in again.json()["errors"]


def test_retry_requires_rw_access(client_for: ClientFor, vic: Member, failed: OutboundMessage) -> None:
    assert client_for(vic).post(f"/api/v1/messages/{failed.pk}/retry/").status_code == 403


def test_messages_check_ownership(client_for: ClientFor, olga: Member, failed: OutboundMessage) -> None:
    api = client_for(olga)
    assert api.get(f"/api/v1/messages/{failed.pk}/").status_code == 404
    assert api.post(f"/api/v1/messages/{failed.pk}/retry/").status_code == 404
    assert api.get("/api/v1/messages/").json()["results"] == []


# Suppression list --------------------------------------------------------------------------------


def test_suppressions_are_added_listed_and_removed(client_for: ClientFor, carol: Member, mark: Member) -> None:
    added = client_for(carol).post("/api/v1/suppressions/", {"email": "Legal@Globex.example", "note": "asked by phone"})
    assert added.status_code == 201, added.json()
    assert added.json()["email"] == "legal@globex.example" and added.json()["reason"] == "manual"
    assert [row["email"] for row in client_for(carol).get("/api/v1/suppressions/?search=legal").json()["results"]] == [
        "legal@globex.example"
    ]
    # Taking an address off the list is a manager's call.
    pk = added.json()["id"]
    assert client_for(carol).delete(f"/api/v1/suppressions/{pk}/").status_code == 403
    assert client_for(mark).delete(f"/api/v1/suppressions/{pk}/").status_code == 204
    assert not Suppression.objects.exists()


def test_a_bad_suppression_names_the_field(client_for: ClientFor, carol: Member) -> None:
    response = client_for(carol).post("/api/v1/suppressions/", {"email": "nope", "reason": "whim"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"email", "reason"}


def test_suppressions_require_rw_access_and_check_ownership(
    client_for: ClientFor, vic: Member, olga: Member, workspace: Workspace
) -> None:
    assert client_for(vic).post("/api/v1/suppressions/", {"email": "a@b.example"}).status_code == 403
    suppression = services.suppression_add(workspace=workspace, email="a@b.example", reason="manual")
    assert client_for(olga).delete(f"/api/v1/suppressions/{suppression.pk}/").status_code == 404
    assert client_for(olga).get("/api/v1/suppressions/").json()["results"] == []
