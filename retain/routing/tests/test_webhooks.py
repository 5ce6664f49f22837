"""The inbound webhooks: each provider's payload kept and routed, signatures checked, retries kept once."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from retain.accounts.models import Account, Contact
from retain.routing import tokens
from retain.routing.models import ChannelLink, InboundMessage, RoutingSetup
from retain.routing.services import routing_setup_get
from retain.tenancy.models import Workspace

pytestmark = pytest.mark.django_db


def _url(workspace: Workspace, provider: str) -> str:
    return f"/hooks/inbound/{tokens.inbound_token(workspace.pk)}/{provider}/"


def _post_json(client: Client, url: str, data: object, **headers: str) -> tuple[int, dict[str, object]]:
    response = client.post(url, json.dumps(data), content_type="application/json", headers=headers)
    return response.status_code, response.json()


@pytest.fixture
def setup(workspace: Workspace) -> RoutingSetup:
    found = routing_setup_get(workspace=workspace)
    found.mailgun_signing_key = "key-mailgun"
    found.slack_signing_secret = "slack-secret"
    found.zendesk_signing_secret = "zd-secret"
    found.intercom_client_secret = "ic-secret"
    found.save()
    return found


def test_a_bad_token_is_404(client: Client, workspace: Workspace, other_workspace: Workspace) -> None:
    forged = f"{workspace.pk}-{'0' * 32}"
    assert client.post(f"/hooks/inbound/{forged}/json/", "{}", content_type="application/json").status_code == 404
    assert tokens.workspace_of(tokens.inbound_token(other_workspace.pk)) == other_workspace.pk


def test_generic_json_and_postmark(client: Client, workspace: Workspace, jane: Contact) -> None:
    status, body = _post_json(
        client, _url(workspace, "json"), {"text": "How do I export my contacts to CSV?", "id": "g1"}
    )
    assert status == 201 and body["desk"] == "support"
    status, body = _post_json(client, _url(workspace, "json"), {"text": "again", "id": "g1"})
    assert status == 200 and body["created"] is False
    status, body = _post_json(client, _url(workspace, "json"), {"subject": ""})
    assert status == 400 and body == {"errors": {"text": ["is required"]}}
    postmark = {
        "From": "Jane <jane@globex.example>", "FromFull": {"Email": "jane@globex.example", "Name": "Jane"},
        "Subject": "Cancel", "TextBody": "We have decided to cancel our subscription.", "MessageID": "pm-1",
        "Date": "Sun, 6 Dec 2026 10:00:00 +0000",
    }  # fmt: skip
    status, body = _post_json(client, _url(workspace, "postmark"), postmark)
    assert status == 201 and body["category"] == "cancellation"
    message = InboundMessage.objects.get(source_message_id="pm-1")
    assert message.contact == jane and message.received_at.isoformat() == "2026-12-06T10:00:00+00:00"


def test_mailgun_must_be_signed(client: Client, workspace: Workspace, setup: RoutingSetup) -> None:
    stamp, nonce = str(int(time.time())), "nonce-1"
    signature = tokens._hex("key-mailgun", (stamp + nonce).encode())
    form = {"from": "ops@globex.example", "subject": "Quote", "body-plain": "What's the price of the enterprise plan?",
            "Message-Id": "<mg-1@x>", "timestamp": stamp, "token": nonce, "signature": signature}  # fmt: skip
    assert client.post(_url(workspace, "mailgun"), form).status_code == 201
    assert client.post(_url(workspace, "mailgun"), {**form, "signature": "0" * 64}).status_code == 403
    old = str(int(time.time()) - 3600)
    replay = {**form, "timestamp": old, "signature": tokens._hex("key-mailgun", (old + nonce).encode())}
    assert client.post(_url(workspace, "mailgun"), replay).status_code == 403


def test_sendgrid_zendesk_and_intercom(
    client: Client, workspace: Workspace, account: Account, setup: RoutingSetup
) -> None:
    form = {"from": "a@globex.example", "subject": "Help", "text": "How do I schedule an email campaign?",
            "headers": "Message-ID: <sg-1@x>\nDate: Sun, 6 Dec 2026 09:00:00 +0000"}  # fmt: skip
    assert client.post(_url(workspace, "sendgrid"), form).status_code == 201
    assert InboundMessage.objects.get(source_message_id="<sg-1@x>").account == account
    ticket = json.dumps({"type": "zen:event-type:ticket.created", "detail": {"id": "881", "subject": "Broken",
                         "description": "The tracking code stopped recording visits"}}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    signed = {"X-Zendesk-Webhook-Signature": tokens.zendesk_signature("zd-secret", stamp, ticket),
              "X-Zendesk-Webhook-Signature-Timestamp": stamp}  # fmt: skip
    response = client.post(_url(workspace, "zendesk"), ticket, content_type="application/json", headers=signed)
    assert response.status_code == 201 and response.json()["desk"] == "support"
    wrong = {**signed, "X-Zendesk-Webhook-Signature": "AAAA"}
    assert (
        client.post(_url(workspace, "zendesk"), ticket, content_type="application/json", headers=wrong).status_code
        == 403
    )
    note = json.dumps({"type": "notification_event", "topic": "conversation.user.created", "data": {"item": {
        "type": "conversation", "id": "ic-77", "created_at": 1796550000,
        "source": {"subject": "", "body": "<p>It would be great to have a drag-and-drop report builder</p>",
                   "author": {"type": "user", "email": "kim@globex.example"}}}}}).encode()  # fmt: skip
    headers = {"X-Hub-Signature": tokens.intercom_signature("ic-secret", note)}
    response = client.post(_url(workspace, "intercom"), note, content_type="application/json", headers=headers)
    assert response.status_code == 201 and response.json()["category"] == "feature_request"
    assert (
        InboundMessage.objects.get(source="intercom").text == "It would be great to have a drag-and-drop report builder"
    )


def test_slack_events(client: Client, workspace: Workspace, account: Account, setup: RoutingSetup) -> None:
    ChannelLink.objects.create(workspace=workspace, channel_id="C123", account=account)

    def post(data: object, **extra: str) -> tuple[int, dict[str, object]]:
        raw = json.dumps(data).encode()
        stamp = str(int(time.time()))
        headers = {"X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": tokens.slack_signature("slack-secret", stamp, raw), **extra}  # fmt: skip
        response = client.post(_url(workspace, "slack"), raw, content_type="application/json", headers=headers)
        return response.status_code, response.json()

    assert post({"type": "url_verification", "challenge": "abc"}) == (200, {"challenge": "abc"})
    event = {"type": "event_callback", "event_id": "Ev1",
             "event": {"type": "message", "channel": "C123", "user": "U1", "text": "We want to cancel our subscription",
                       "ts": "1796550000.000100"}}  # fmt: skip
    status, body = post(event)
    assert status == 201 and body["category"] == "cancellation"
    status, body = post(event, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200 and body["created"] is False
    assert post({**event, "event": {**event["event"], "subtype": "message_changed"}}) == (200, {"ignored": True})  # type: ignore[dict-item]
    assert InboundMessage.objects.get(source="slack").account == account
    raw = json.dumps(event).encode()
    unsigned = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
    bad = client.post(_url(workspace, "slack"), raw, content_type="application/json", headers=unsigned)
    assert bad.status_code == 403
