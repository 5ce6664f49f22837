"""What each provider's webhook says, read into one shape. Pure: a payload in, a `Received` out.

- generic JSON: {"text", "subject", "sender", "id", "received_at", "source"}: any system that can
  post JSON (the `source` names it: email, webhook, form…; default webhook);
- Postmark inbound (JSON): From/FromFull, Subject, TextBody (StrippedTextReply when present), MessageID, Date;
- SendGrid inbound parse (form): from, subject, text, headers (its Message-ID line);
- Mailgun inbound route (form): sender/from, subject, stripped-text/body-plain, Message-Id, timestamp;
- Zendesk: the ticket.created event (`detail`: id, subject, description) or a trigger's JSON body
  {"ticket_id", "subject", "description", "requester_email"};
- Intercom: the conversation.user.created notification (data.item: id, source.subject, source.body
  as HTML, source.author.email);
- Slack Events API: an event_callback whose event is a person's message (no subtype, no bot_id).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from retain.routing.choices import Source


class IntakeError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Received:
    source: str
    text: str
    subject: str = ""
    sender: str = ""
    source_message_id: str = ""
    received_at: dt.datetime | None = None
    channel: str = ""  # Slack: the channel, linked to an account


def _text(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return ""


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IntakeError(field, "must be an object")
    return value


def _sub(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _when(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _required(received: Received) -> Received:
    if not received.text and not received.subject:
        raise IntakeError("text", "is required")
    return received


def _plain(markup: str) -> str:
    text = re.sub(r"<(br|/p|/div)\s*/?>", "\n", markup, flags=re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def generic(data: object) -> Received:
    body = _mapping(data, "body")
    source = _text(body, "source") or Source.WEBHOOK
    if source not in Source.values:
        raise IntakeError("source", f"must be one of {', '.join(Source.values)}")
    return _required(
        Received(
            source=source,
            text=_text(body, "text", "body"),
            subject=_text(body, "subject"),
            sender=_text(body, "sender", "from", "email"),
            source_message_id=_text(body, "id", "message_id"),
            received_at=_when(_text(body, "received_at")),
        )
    )


def postmark(data: object) -> Received:
    body = _mapping(data, "body")
    full = body.get("FromFull")
    sender = _text(full, "Email") if isinstance(full, Mapping) else ""
    return _required(
        Received(
            source=Source.EMAIL,
            text=_text(body, "StrippedTextReply", "TextBody") or _plain(_text(body, "HtmlBody")),
            subject=_text(body, "Subject"),
            sender=sender or _text(body, "From"),
            source_message_id=_text(body, "MessageID"),
            received_at=_when(_text(body, "Date")),
        )
    )


def _header(headers: str, name: str) -> str:
    found = re.search(rf"^{re.escape(name)}:\s*(.+)$", headers, flags=re.I | re.M)
    return found.group(1).strip() if found else ""


def sendgrid(form: Mapping[str, str]) -> Received:
    headers = form.get("headers", "")
    return _required(
        Received(
            source=Source.EMAIL,
            text=(form.get("text") or _plain(form.get("html", ""))).strip(),
            subject=form.get("subject", "").strip(),
            sender=form.get("from", "").strip(),
            source_message_id=_header(headers, "Message-ID"),
            received_at=_when(_header(headers, "Date")),
        )
    )


def mailgun(form: Mapping[str, str]) -> Received:
    stamp = form.get("timestamp", "").strip()
    return _required(
        Received(
            source=Source.EMAIL,
            text=(form.get("stripped-text") or form.get("body-plain") or "").strip(),
            subject=form.get("subject", "").strip(),
            sender=(form.get("from") or form.get("sender") or "").strip(),
            source_message_id=(form.get("Message-Id") or form.get("message-id") or "").strip(),
            received_at=dt.datetime.fromtimestamp(int(stamp), dt.UTC) if stamp.isdigit() else None,
        )
    )


def zendesk(data: object) -> Received:
    body = _mapping(data, "body")
    detail = body.get("detail")
    if isinstance(detail, Mapping):  # an event-based webhook: zen:event-type:ticket.created
        return _required(
            Received(
                source=Source.ZENDESK,
                text=_text(detail, "description"),
                subject=_text(detail, "subject"),
                sender=_text(body, "requester_email") or _text(detail, "requester_email"),
                source_message_id=_text(detail, "id"),
                received_at=_when(_text(detail, "created_at") or _text(body, "time")),
            )
        )
    return _required(
        Received(
            source=Source.ZENDESK,
            text=_text(body, "description", "comment"),
            subject=_text(body, "subject", "title"),
            sender=_text(body, "requester_email"),
            source_message_id=_text(body, "ticket_id", "id"),
            received_at=_when(_text(body, "created_at")),
        )
    )


def intercom(data: object) -> Received:
    body = _mapping(data, "body")
    item = _mapping(_mapping(body.get("data"), "data").get("item"), "data.item")
    source = _sub(item, "source")
    author = _sub(source, "author")
    created = item.get("created_at")
    return _required(
        Received(
            source=Source.INTERCOM,
            text=_plain(_text(source, "body")),
            subject=_plain(_text(source, "subject")),
            sender=_text(author, "email"),
            source_message_id=_text(item, "id"),
            received_at=dt.datetime.fromtimestamp(created, dt.UTC) if isinstance(created, int) else None,
        )
    )


def slack(data: object) -> Received | None:
    """The message of an event_callback; None for events that are not a person's new message."""
    body = _mapping(data, "body")
    event = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(event, Mapping):
        return None
    if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
        return None
    stamp = _text(event, "ts")
    try:
        when = dt.datetime.fromtimestamp(float(stamp), dt.UTC) if stamp else None
    except ValueError:
        when = None
    text = _text(event, "text")
    if not text:
        return None
    return Received(
        source=Source.SLACK,
        text=text,
        sender=_text(event, "user"),
        source_message_id=_text(body, "event_id") or f"{_text(event, 'channel')}:{stamp}",
        received_at=when,
        channel=_text(event, "channel"),
    )
