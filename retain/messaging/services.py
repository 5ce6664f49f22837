"""Writes for outbound messages, the suppression list, unsubscribes, bounces and inbound webhooks.

Delivery is at least once: a message is a row first (written in the caller's transaction, so
nothing is sent about a decision that rolled back), then a minutely sweep claims due rows, sends,
and only after the send returned marks the row sent. A worker that dies in between leaves a
claimed row whose lease runs out; the next sweep sends it again with the same Message-ID or
Idempotency-Key, so the receiver can tell it is a repeat.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import ContactStatus
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import transports
from retain.messaging.choices import Channel, DeliveryStatus, EmailEventType, SuppressionReason
from retain.messaging.models import OutboundMessage, Suppression
from retain.tenancy.models import Member, Workspace

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; after the last one the message is failed for good
# (visible on the Messages page, where it can be retried by hand).
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
# How long a claimed message belongs to the worker that claimed it. A worker that died while
# sending leaves the row in `sending`; once the lease is over the row is due again.
CLAIM_LEASE = dt.timedelta(minutes=10)
MAX_ATTEMPTS = len(BACKOFF) + 1
SMTP_TIMEOUT = 30
_DUE = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING, DeliveryStatus.SENDING)


# What a higher app does when one of its messages reaches a final status (sent, failed or
# suppressed): a survey invitation is "sent" only once the mail server took it. Keyed by the first
# part of the message's `source` ("survey:12/invitation:34" → "survey"); the app registers its
# handler at start-up, since messaging may not import it. Called in the transaction that records
# the status; a sent message with a handler gets no generic "E-mail sent" timeline entry (the
# handler writes its own).
DeliveryHandler = Callable[[OutboundMessage, str, dt.datetime], None]
_DELIVERY_HANDLERS: dict[str, DeliveryHandler] = {}


MAX_ATTACHMENT_BYTES = 10_000_000


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail."""

    filename: str
    content_type: str
    content: bytes

    def to_data(self) -> dict[str, str]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "content": base64.b64encode(self.content).decode("ascii"),
        }


def delivery_handler_register(source_kind: str, handler: DeliveryHandler) -> None:
    _DELIVERY_HANDLERS[source_kind] = handler


def _delivery_handler(message: OutboundMessage) -> DeliveryHandler | None:
    return _DELIVERY_HANDLERS.get(message.source.split(":", 1)[0]) if ":" in message.source else None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _message_id(workspace_id: int, idempotency_key: str) -> str:
    """A Message-ID derived from the key alone, so every attempt at one message carries the same one."""
    digest = hashlib.sha256(f"{workspace_id}:{idempotency_key}".encode()).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "retain.localhost"
    return f"<{digest}@{domain}>"


# Suppression --------------------------------------------------------------------------------------


def _listed_reason(workspace_id: int, email: str) -> str:
    """Why an address on the workspace's suppression list must not get e-mail; empty when it is not listed."""
    listed = Suppression.objects.filter(workspace_id=workspace_id, email=normalize_email(email)).first()
    return f"the address is on the suppression list ({listed.get_reason_display().lower()})" if listed else ""


def suppression_reason(contact: Contact | None) -> str:
    """Why this contact must not get e-mail from us, in words; empty when it may."""
    if contact is None:
        return "no contact to write to"
    if not contact.email:
        return "the contact has no e-mail address"
    if contact.status == ContactStatus.LEFT:
        return "the contact left the company"
    if contact.email_unsubscribed_at is not None:
        return "the contact unsubscribed"
    if contact.email_bounced_at is not None:
        return "the contact's address bounced"
    if contact.email_complaint_at is not None:
        return "the contact reported our e-mail as spam"
    return _listed_reason(contact.workspace_id, contact.email)


def member_suppression_reason(member: Member | None) -> str:
    """Why one of our own members must not get a notice e-mail from us, in words; empty when they may."""
    if member is None:
        return "the member no longer exists"
    if not member.is_active:
        return "the member is no longer active"
    if not member.user.email:
        return "the member has no e-mail address"
    return _listed_reason(member.workspace_id, member.user.email)


def _send_time_reason(message: OutboundMessage) -> str:
    if message.member_id is not None:
        return member_suppression_reason(message.member)
    if message.contact_id is None and message.to:  # address_email_enqueue: only the suppression list applies
        return _listed_reason(message.workspace_id, message.to)
    return suppression_reason(message.contact)


def suppression_add(
    *, workspace: Workspace, email: str, reason: str, note: str = "", actor: Member | None = None
) -> Suppression:
    """Put an address on the workspace's suppression list (a no-op when it is already there)."""
    address = normalize_email(email)
    errors: dict[str, str] = {}
    if not address or "@" not in address:
        errors["email"] = "Enter an e-mail address."
    if reason not in SuppressionReason.values:
        errors["reason"] = f"Choose one of: {', '.join(SuppressionReason.values)}."
    if errors:
        raise ValidationError(errors)
    suppression, _ = Suppression.objects.get_or_create(
        workspace=workspace, email=address, defaults={"reason": reason, "note": note[:500]}
    )
    return suppression


def suppression_remove(*, suppression: Suppression, actor: Member | None = None) -> None:
    """Allow e-mail to the address again. The contact's own unsubscribe or bounce mark stays."""
    suppression.delete()


def contact_unsubscribe(*, contact: Contact, via: str = "email", now: dt.datetime | None = None) -> bool:
    """No more e-mail to this contact from now on; False when they had already unsubscribed."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Contact.objects.filter(pk=contact.pk, email_unsubscribed_at__isnull=True).update(
            email_unsubscribed_at=now
        )
        if contact.email:
            Suppression.objects.get_or_create(
                workspace_id=contact.workspace_id,
                email=normalize_email(contact.email),
                defaults={"reason": SuppressionReason.UNSUBSCRIBED},
            )
        if not changed:
            return False
        contact.email_unsubscribed_at = now
        timeline.contact_unsubscribed_entry(contact, occurred_at=now, via=via).save()
    return True


def contact_mark_bounced(
    *,
    contact: Contact,
    event_type: str = EmailEventType.BOUNCE,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
    actor: Member | None = None,
    via: str = "web",
) -> bool:
    """Record a bounce or complaint for the contact; False when it was already recorded."""
    if event_type not in EmailEventType.values:
        raise ValidationError({"type": f"Choose one of: {', '.join(EmailEventType.values)}."})
    occurred_at = occurred_at or timezone.now()
    field = "email_complaint_at" if event_type == EmailEventType.COMPLAINT else "email_bounced_at"
    with transaction.atomic():
        changed = Contact.objects.filter(pk=contact.pk, **{f"{field}__isnull": True}).update(**{field: occurred_at})
        if contact.email:
            Suppression.objects.get_or_create(
                workspace_id=contact.workspace_id,
                email=normalize_email(contact.email),
                defaults={"reason": event_type, "note": reason[:500]},
            )
        if not changed:
            return False
        setattr(contact, field, occurred_at)
        timeline.email_bounced_entry(
            contact, event_type=event_type, reason=reason, occurred_at=occurred_at, actor=actor, via=via
        ).save()
    return True


def email_events_record(
    *, workspace: Workspace, events: Iterable[Mapping[str, Any]], actor: Member | None, via: str = "api"
) -> dict[str, int]:
    """Bounces and complaints reported by a mail provider, already validated (email, type, …).

    Every contact with the address is marked (and its account's timeline told), and the address
    is suppressed even when no contact has it. Repeats of an event change nothing.
    """
    counts = {"events": 0, "contacts_marked": 0}
    with transaction.atomic():
        for event in events:
            address = normalize_email(str(event["email"]))
            event_type = str(event["type"])
            reason = str(event.get("reason") or "")
            occurred_at = event.get("occurred_at") or timezone.now()
            counts["events"] += 1
            contacts = Contact.objects.select_related("account").filter(workspace=workspace, email__iexact=address)
            for contact in contacts:
                if contact_mark_bounced(
                    contact=contact,
                    event_type=event_type,
                    reason=reason,
                    occurred_at=occurred_at,
                    actor=actor,
                    via=via,
                ):
                    counts["contacts_marked"] += 1
            Suppression.objects.get_or_create(
                workspace=workspace, email=address, defaults={"reason": event_type, "note": reason[:500]}
            )
            if event.get("message_id"):
                # The provider named the message: its row on the Messages page says what happened.
                what = "complaint" if event_type == EmailEventType.COMPLAINT else "bounced"
                OutboundMessage.objects.filter(
                    workspace=workspace, channel=Channel.EMAIL, message_id=str(event["message_id"])
                ).update(status_reason=f"{what}: {reason}"[:200] if reason else what)
    return counts


def webhook_receive(
    *,
    workspace: Workspace,
    account: Account,
    name: str,
    data: Any,
    idempotency_key: str = "",
    actor: Member | None = None,
    now: dt.datetime | None = None,
) -> tuple[TimelineEntry, bool]:
    """Another system reports an event about an account: a timeline fact playbooks trigger on.

    Returns (entry, created); a repeat with the same idempotency key returns the first entry.
    """
    errors: dict[str, str] = {}
    name = name.strip()
    if not name or len(name) > 100:
        errors["name"] = "A name of 1 to 100 characters is required."
    if len(idempotency_key) > 150:
        errors["idempotency_key"] = "At most 150 characters."
    if account.workspace_id != workspace.pk:
        errors["account"] = "The account belongs to another workspace."
    if errors:
        raise ValidationError(errors)
    dedupe_key = f"webhook:{idempotency_key}" if idempotency_key else None
    if dedupe_key is not None:
        existing = TimelineEntry.objects.filter(workspace=workspace, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
    entry = timeline.webhook_received_entry(
        account, name=name, payload=data, occurred_at=now or timezone.now(), actor=actor, dedupe_key=dedupe_key
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # the same key arrived twice at once
        return TimelineEntry.objects.get(workspace=workspace, dedupe_key=dedupe_key), False
    return entry, True


# Enqueueing ---------------------------------------------------------------------------------------


def _create_once(workspace_id: int, idempotency_key: str, **fields: Any) -> OutboundMessage:
    existing = OutboundMessage.objects.filter(workspace_id=workspace_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        # A savepoint: losing the race to a concurrent enqueue of the same key must not break
        # the caller's transaction.
        with transaction.atomic():
            return OutboundMessage.objects.create(workspace_id=workspace_id, idempotency_key=idempotency_key, **fields)
    except IntegrityError:
        return OutboundMessage.objects.get(workspace_id=workspace_id, idempotency_key=idempotency_key)


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationError({"idempotency_key": "An idempotency key of 1 to 200 characters is required."})


def email_enqueue(
    *,
    account: Account,
    contact: Contact | None,
    subject: str,
    body: str,
    idempotency_key: str,
    source: str = "",
    actor: Member | None = None,
    html_body: str = "",
    attachments: Sequence[Attachment] = (),
) -> OutboundMessage:
    """Queue an e-mail (already rendered text, and optionally HTML) to a contact, or record why it is not sent.

    The same idempotency key returns the first row: deciding twice to send never sends twice.
    Attachments (a business review's PDF) travel in the row's payload, base64-encoded, so the
    sweep that sends it later has them whatever process it runs in.
    """
    _check_key(idempotency_key)
    if sum(len(a.content) for a in attachments) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"attachments": f"at most {MAX_ATTACHMENT_BYTES // 1_000_000} MB in all"})
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": "The contact belongs to another account."})
    if not subject.strip():
        raise ValidationError({"subject": "An e-mail needs a subject."})
    reason = suppression_reason(contact)
    now = timezone.now()
    return _create_once(
        account.workspace_id,
        idempotency_key,
        account=account,
        contact=contact,
        channel=Channel.EMAIL,
        to=contact.email if contact is not None else "",
        subject=" ".join(subject.split())[:500],
        body=body,
        html_body=html_body,
        payload={"attachments": [a.to_data() for a in attachments]} if attachments else {},
        message_id=_message_id(account.workspace_id, idempotency_key),
        status=DeliveryStatus.SUPPRESSED if reason else DeliveryStatus.QUEUED,
        status_reason=reason,
        next_attempt_at=None if reason else now,
        source=source[:200],
    )


def _check_account_and_subject(
    errors: dict[str, str], workspace: Workspace, account: Account | None, subject: str
) -> None:
    """Add the account and subject problems an internal e-mail can have to `errors`; raise them all."""
    if account is not None and account.workspace_id != workspace.pk:
        errors["account"] = "The account belongs to another workspace."
    if not subject.strip():
        errors["subject"] = "An e-mail needs a subject."
    if errors:
        raise ValidationError(errors)


def member_email_enqueue(
    *,
    workspace: Workspace,
    member: Member,
    subject: str,
    body: str,
    idempotency_key: str,
    source: str = "",
    account: Account | None = None,
    html_body: str = "",
) -> OutboundMessage:
    """Queue an e-mail (already rendered text, and optionally HTML) to one of the workspace's own members.

    An internal notice, so no unsubscribe link; the Message-ID still comes from the key, and the
    same key returns the first row. An inactive member or one without an address gets a
    suppressed row saying why. Sending it writes nothing on an account's timeline.
    """
    _check_key(idempotency_key)
    errors: dict[str, str] = {}
    if member.workspace_id != workspace.pk:
        errors["member"] = "The member belongs to another workspace."
    _check_account_and_subject(errors, workspace, account, subject)
    reason = member_suppression_reason(member)
    return _create_once(
        workspace.pk,
        idempotency_key,
        account=account,
        member=member,
        channel=Channel.EMAIL,
        to=member.user.email,
        subject=" ".join(subject.split())[:500],
        body=body,
        html_body=html_body,
        message_id=_message_id(workspace.pk, idempotency_key),
        status=DeliveryStatus.SUPPRESSED if reason else DeliveryStatus.QUEUED,
        status_reason=reason,
        next_attempt_at=None if reason else timezone.now(),
        source=source[:200],
    )


def address_email_enqueue(
    *,
    workspace: Workspace,
    to: str,
    subject: str,
    body: str,
    idempotency_key: str,
    source: str = "",
    account: Account | None = None,
) -> OutboundMessage:
    """Queue a plain-text e-mail to an address that is neither a contact nor a member (a support
    desk's mailbox). No unsubscribe link: it is the workspace's own tooling, not a person we market
    to. The same key returns the first row."""
    _check_key(idempotency_key)
    errors: dict[str, str] = {}
    address = normalize_email(to)
    try:
        validate_email(address)
    except ValidationError:
        errors["to"] = "Enter a valid e-mail address."
    _check_account_and_subject(errors, workspace, account, subject)
    return _create_once(
        workspace.pk,
        idempotency_key,
        account=account,
        channel=Channel.EMAIL,
        to=address,
        subject=" ".join(subject.split())[:500],
        body=body,
        message_id=_message_id(workspace.pk, idempotency_key),
        status=DeliveryStatus.QUEUED,
        next_attempt_at=timezone.now(),
        source=source[:200],
    )


def webhook_enqueue(
    *,
    workspace: Workspace,
    account: Account | None,
    channel: str,
    url: str,
    payload: dict[str, Any],
    idempotency_key: str,
    source: str = "",
) -> OutboundMessage:
    """Queue a Slack post (payload {"text": …}) or a JSON webhook call to `url`."""
    _check_key(idempotency_key)
    errors: dict[str, str] = {}
    if channel not in (Channel.SLACK, Channel.WEBHOOK):
        errors["channel"] = "Choose slack or webhook."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url"] = "Enter an http:// or https:// URL."
    if not isinstance(payload, dict):
        errors["payload"] = "The payload must be a JSON object."
    elif channel == Channel.SLACK and not (isinstance(payload.get("text"), str) and payload["text"].strip()):
        errors["payload"] = 'A Slack message needs a non-empty "text".'
    else:
        try:
            json.dumps(payload)
        except (TypeError, ValueError) as exc:
            errors["payload"] = f"The payload cannot be sent as JSON: {exc}"
    if account is not None and account.workspace_id != workspace.pk:
        errors["account"] = "The account belongs to another workspace."
    if errors:
        raise ValidationError(errors)
    return _create_once(
        workspace.pk,
        idempotency_key,
        account=account,
        channel=channel,
        to=url,
        body=str(payload.get("text", "")) if channel == Channel.SLACK else "",
        payload=payload,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=timezone.now(),
        source=source[:200],
    )


def message_retry(*, message: OutboundMessage, actor: Member | None = None) -> OutboundMessage:
    """Send a failed message again from the first attempt (the key, and so the Message-ID, stay)."""
    if message.status != DeliveryStatus.FAILED:
        raise ValidationError({"status": "Only a failed message can be retried."})
    message.status = DeliveryStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.claimed_by = ""
    message.claimed_at = None
    message.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_by", "claimed_at"])
    return message


# Delivery -----------------------------------------------------------------------------------------


def worker_name() -> str:
    """Who holds a claim: the machine, the process and the thread (a worker may sweep in threads)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"[:100]


def _claim(*, now: dt.datetime, limit: int, worker: str) -> list[int]:
    """Take up to `limit` due messages for this worker; no two workers get the same row."""
    due = OutboundMessage.objects.filter(next_attempt_at__lte=now, status__in=_DUE).order_by("next_attempt_at", "id")
    lease_end = now + CLAIM_LEASE
    claim = {"status": DeliveryStatus.SENDING, "claimed_by": worker, "claimed_at": now, "next_attempt_at": lease_end}
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: rows another sweep has locked are skipped, not waited for.
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            OutboundMessage.objects.filter(pk__in=ids).update(**claim)
        return ids
    # SQLite (one writer at a time): compare-and-set on the due time; a row another sweep took
    # meanwhile no longer matches and is left to it.
    claimed = []
    for pk, due_at in due.values_list("id", "next_attempt_at")[:limit]:
        if OutboundMessage.objects.filter(pk=pk, next_attempt_at=due_at, status__in=_DUE).update(**claim):
            claimed.append(pk)
    return claimed


def _mark_sent(message: OutboundMessage, *, worker: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not OutboundMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
            status=DeliveryStatus.SENT, sent_at=now, next_attempt_at=None, last_error=""
        ):
            return  # no longer ours: the worker that took it over records it
        handler = _delivery_handler(message)
        if handler is not None:
            handler(message, DeliveryStatus.SENT, now)
        # Mail to our own members is not something that happened with the customer.
        elif message.channel == Channel.EMAIL and message.account is not None and message.member_id is None:
            entry = timeline.email_sent_entry(
                message.account,
                contact=message.contact,
                subject=message.subject,
                message_pk=message.pk,
                source=message.source,
                occurred_at=now,
            )
            # A message sent twice (a crash before it was marked) is still one timeline fact.
            if not TimelineEntry.objects.filter(
                workspace_id=message.workspace_id, dedupe_key=entry.dedupe_key
            ).exists():
                entry.save()


def _mark_failed(message: OutboundMessage, error: str, *, worker: str, now: dt.datetime) -> None:
    attempt = message.attempts
    if attempt < MAX_ATTEMPTS:
        fields: dict[str, Any] = {"status": DeliveryStatus.RETRYING, "next_attempt_at": now + BACKOFF[attempt - 1]}
    else:
        fields = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
            last_error=error[:2000], **fields
        )
        handler = _delivery_handler(message)
        if updated and handler is not None and fields["status"] == DeliveryStatus.FAILED:
            message.last_error = error[:2000]
            handler(message, DeliveryStatus.FAILED, now)


def _mark_suppressed(message: OutboundMessage, reason: str, *, worker: str) -> None:
    with transaction.atomic():
        # Nothing was attempted: the attempt counted at claim time is taken back.
        updated = OutboundMessage.objects.filter(pk=message.pk, claimed_by=worker).update(
            status=DeliveryStatus.SUPPRESSED, status_reason=reason, next_attempt_at=None, attempts=F("attempts") - 1
        )
        handler = _delivery_handler(message)
        if updated and handler is not None:
            message.status_reason = reason
            handler(message, DeliveryStatus.SUPPRESSED, timezone.now())


def deliveries_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send the messages that are due; returns how many were handed over (sent) in this run."""
    now = now or timezone.now()
    worker = worker_name()
    ids = _claim(now=now, limit=limit, worker=worker)
    if not ids:
        return 0
    # The attempt is counted once claimed, before the send: a crash mid-send still counts.
    OutboundMessage.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    messages = (
        OutboundMessage.objects.select_related("workspace", "account__owner__user", "contact", "member__user")
        .filter(pk__in=ids)
        .order_by("id")
    )
    sent = 0
    mail_connection = None
    http_client = None
    try:
        for message in messages:
            if message.attempts > MAX_ATTEMPTS:
                # Only reachable when workers keep dying while sending this one: stop, visibly.
                _mark_failed(message, "no worker finished sending it", worker=worker, now=now)
                continue
            try:
                if message.channel == Channel.EMAIL:
                    # Re-checked at send time: an unsubscribe or bounce since enqueueing wins at once.
                    reason = _send_time_reason(message)
                    if reason:
                        _mark_suppressed(message, reason, worker=worker)
                        continue
                    mail_connection = mail_connection or get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT)
                    transports.send_email(message, mail_connection)
                else:
                    http_client = http_client or transports.http_client()
                    transports.HTTP_CHANNELS[message.channel](message, http_client)
            except Exception as exc:
                if isinstance(exc, transports.DeliveryError):
                    log.warning("message %s not delivered (attempt %s): %s", message.pk, message.attempts, exc)
                    error = str(exc)
                else:
                    # A message we cannot even compose must not stop the others; its row says why.
                    log.exception("message %s could not be sent", message.pk)
                    error = f"{type(exc).__name__}: {exc}"
                _mark_failed(message, error, worker=worker, now=now)
                if mail_connection is not None and message.channel == Channel.EMAIL:
                    # The SMTP session may be broken: the next e-mail opens a fresh one.
                    mail_connection.close()
                    mail_connection = None
                continue
            _mark_sent(message, worker=worker)
            sent += 1
    finally:
        if mail_connection is not None:
            mail_connection.close()
        if http_client is not None:
            http_client.close()
    return sent
