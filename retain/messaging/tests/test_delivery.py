"""Delivery over real local servers: at least once, the same key on every attempt, backoff, then failed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage, Suppression
from retain.messaging.tests.receivers import Inbox, free_port, http_receiver, smtp_server
from retain.messaging.tokens import webhook_secret
from retain.tenancy.models import Workspace


def _welcome(account: Account, contact: Contact, key: str = "welcome:1") -> OutboundMessage:
    return services.email_enqueue(
        account=account,
        contact=contact,
        subject="Welcome to Acme",
        body="Hi Jane,\nwelcome aboard.",
        idempotency_key=key,
        source="playbook:welcome",
    )


def _later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_an_email_arrives_over_smtp_with_its_message_id_and_one_click_unsubscribe(
    smtp: Inbox, account: Account, jane: Contact
) -> None:
    queued = _welcome(account, jane)
    assert services.deliveries_send_due() == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["jane@globex.example"] and mail["Subject"] == "Welcome to Acme"
    assert mail["Message-ID"] == queued.message_id
    unsubscribe = str(mail["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://cs.example.com/m/u/") and unsubscribe.endswith("/>")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = mail.get_content().replace("\r\n", "\n")
    assert body.startswith("Hi Jane,\nwelcome aboard.") and unsubscribe[1:-1] in body

    sent = OutboundMessage.objects.get()
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 1 and sent.sent_at is not None
    assert sent.next_attempt_at is None
    [entry] = TimelineEntry.objects.filter(kind=EntryKind.EMAIL_SENT)
    assert entry.account == account and entry.contact == jane and "Welcome to Acme" in entry.summary
    assert services.deliveries_send_due(now=_later(60)) == 0  # sent once, never again

    # The header's one-click unsubscribe works as a mail program sends it (no cookie, no CSRF token).
    path = unsubscribe[1:-1].removeprefix("https://cs.example.com")
    assert Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None
    assert Suppression.objects.get().email == "jane@globex.example"


def test_an_unsubscribe_after_queueing_is_honoured_at_send_time(smtp: Inbox, account: Account, jane: Contact) -> None:
    _welcome(account, jane)
    services.contact_unsubscribe(contact=jane)
    assert services.deliveries_send_due() == 0
    assert smtp.messages == []
    message = OutboundMessage.objects.get()
    assert message.status == DeliveryStatus.SUPPRESSED and message.status_reason == "the contact unsubscribed"
    assert message.attempts == 0 and message.next_attempt_at is None


def test_a_crash_between_send_and_mark_resends_with_the_same_message_id(
    smtp: Inbox, account: Account, jane: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    _welcome(account, jane)

    def crash(message: OutboundMessage, *, worker: str) -> None:
        raise KeyboardInterrupt("worker killed after the send")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_mark_sent", crash)
        with pytest.raises(KeyboardInterrupt):
            services.deliveries_send_due()
    assert len(smtp.messages) == 1
    assert OutboundMessage.objects.get().status == DeliveryStatus.SENDING
    # Within its lease the claimed row belongs to the dead worker; after it, the next sweep resends.
    assert services.deliveries_send_due(now=_later(5)) == 0
    assert services.deliveries_send_due(now=_later(11)) == 1
    first, second = (mail for _, mail in smtp.messages)
    assert first["Message-ID"] == second["Message-ID"] == OutboundMessage.objects.get().message_id
    message = OutboundMessage.objects.get()
    assert message.status == DeliveryStatus.SENT and message.attempts == 2
    assert TimelineEntry.objects.filter(kind=EntryKind.EMAIL_SENT).count() == 1


def test_an_unreachable_mail_server_is_retried_with_backoff_then_failed_and_can_be_retried_by_hand(
    settings: Any, account: Account, jane: Contact
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    _welcome(account, jane)
    now = timezone.now()
    waits = []
    for _attempt in range(6):
        assert services.deliveries_send_due(now=now) == 0
        message = OutboundMessage.objects.get()
        if message.next_attempt_at is None:
            break
        waits.append(message.next_attempt_at - now)
        assert message.status == DeliveryStatus.RETRYING and message.last_error.startswith("SMTP:")
        now = message.next_attempt_at
    assert waits == list(services.BACKOFF)
    assert message.status == DeliveryStatus.FAILED and message.attempts == 6

    with smtp_server() as (inbox, port):
        settings.EMAIL_PORT = port
        services.message_retry(message=message)
        assert services.deliveries_send_due() == 1
        assert len(inbox.messages) == 1
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.last_error == ""


def test_a_webhook_that_fails_once_is_retried_and_delivered_once_with_the_same_key(
    workspace: Workspace, account: Account
) -> None:
    with http_receiver([500, 200]) as (receiver, url):
        services.webhook_enqueue(
            workspace=workspace,
            account=account,
            channel="webhook",
            url=url,
            payload={"event": "health_red", "account": account.pk},
            idempotency_key="health-red:7:1",
        )
        assert services.deliveries_send_due() == 0
        message = OutboundMessage.objects.get()
        assert message.status == DeliveryStatus.RETRYING and message.last_error.startswith("HTTP 500")
        assert services.deliveries_send_due() == 0  # not due again for a minute
        assert services.deliveries_send_due(now=_later(1.01)) == 1
        assert services.deliveries_send_due(now=_later(60)) == 0
    assert len(receiver.requests) == 2
    assert receiver.bodies == [{"event": "health_red", "account": account.pk}] * 2
    keys = [headers["idempotency-key"] for headers, _ in receiver.requests]
    assert keys == ["health-red:7:1", "health-red:7:1"]
    # The signature verifies with the workspace's secret, as the docstring in tokens.py tells receivers.
    headers, body = receiver.requests[1]
    parts = dict(part.split("=", 1) for part in headers["retain-signature"].split(","))
    expected = hmac.new(webhook_secret(workspace.pk).encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT and message.attempts == 2


def test_a_slack_message_posts_its_text(workspace: Workspace, account: Account) -> None:
    with http_receiver([200]) as (receiver, url):
        services.webhook_enqueue(
            workspace=workspace,
            account=account,
            channel="slack",
            url=url,
            payload={"text": "Globex turned red"},
            idempotency_key="slack:1",
        )
        assert services.deliveries_send_due() == 1
    assert receiver.bodies == [{"text": "Globex turned red"}]
    assert "retain-signature" not in receiver.requests[0][0]


def test_a_private_address_is_refused_unless_allowed(workspace: Workspace, account: Account, settings: Any) -> None:
    settings.WEBHOOK_PRIVATE_ADDRESSES = False
    with http_receiver([200]) as (receiver, url):
        message = services.webhook_enqueue(
            workspace=workspace, account=account, channel="webhook", url=url, payload={"n": 1}, idempotency_key="p-1"
        )
        services.deliveries_send_due()
        assert receiver.requests == []
        message.refresh_from_db()
        assert message.status == DeliveryStatus.RETRYING
        assert "127.0.0.1, not a public address" in message.last_error
        assert "RETAIN_WEBHOOK_PRIVATE_ADDRESSES=true" in message.last_error
        # Allowed on purpose (an internal receiver), the retry goes through.
        settings.WEBHOOK_PRIVATE_ADDRESSES = True
        assert services.deliveries_send_due(now=_later(2)) == 1
    assert len(receiver.requests) == 1


def test_a_crash_after_a_webhook_call_resends_with_the_same_idempotency_key(
    workspace: Workspace, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    with http_receiver([200]) as (receiver, url):
        services.webhook_enqueue(
            workspace=workspace, account=account, channel="webhook", url=url, payload={"n": 1}, idempotency_key="k-1"
        )
        with monkeypatch.context() as patch:
            patch.setattr(services, "_mark_sent", lambda message, *, worker: (_ for _ in ()).throw(SystemExit(9)))
            with pytest.raises(SystemExit):
                services.deliveries_send_due()
        assert services.deliveries_send_due(now=_later(11)) == 1
    assert [headers["idempotency-key"] for headers, _ in receiver.requests] == ["k-1", "k-1"]


def test_a_message_that_cannot_be_composed_fails_visibly_without_stopping_the_others(
    smtp: Inbox, account: Account, jane: Contact, sam: Contact
) -> None:
    broken = _welcome(account, jane, key="broken")
    # A header injection that slipped past enqueueing (written straight into the row).
    OutboundMessage.objects.filter(pk=broken.pk).update(subject="Hi\nBcc: everyone@example.com")
    _welcome(account, sam, key="fine")
    assert services.deliveries_send_due() == 1
    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.RETRYING and "BadHeaderError" in broken.last_error
    assert [recipients for recipients, _ in smtp.messages] == [["sam@globex.example"]]


def test_a_message_whose_workers_keep_dying_ends_failed(account: Account, jane: Contact) -> None:
    message = _welcome(account, jane)
    # Six claims whose workers all died mid-send, the last lease now over.
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.SENDING, attempts=services.MAX_ATTEMPTS, next_attempt_at=timezone.now()
    )
    assert services.deliveries_send_due() == 0
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED and message.last_error == "no worker finished sending it"
