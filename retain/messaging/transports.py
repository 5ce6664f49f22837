"""How each channel hands a message over; each returns on success and raises DeliveryError otherwise.

Nothing here touches the database: the sweep in services claims, calls, and records.
"""

from __future__ import annotations

import ipaddress
import json
import smtplib
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from retain.messaging.choices import Channel
from retain.messaging.models import OutboundMessage
from retain.messaging.tokens import unsubscribe_token, webhook_secret, webhook_signature

HTTP_TIMEOUT = 10.0
USER_AGENT = "Retain-Webhooks/1"


class DeliveryError(Exception):
    """The receiver did not take the message; the text is shown as the message's last error."""


def unsubscribe_url(contact_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('message-unsubscribe', args=[unsubscribe_token(contact_id)])}"


def email_for(message: OutboundMessage, connection: BaseEmailBackend | None = None) -> EmailMessage:
    """The e-mail for a message: its text, and for a contact an unsubscribe link and the RFC 2369/8058
    headers (mail to one of our own members is an internal notice and carries neither)."""
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    body = message.body.rstrip("\n")
    if message.contact_id is not None and message.member_id is None:
        link = unsubscribe_url(message.contact_id)
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        body += f"\n\n-- \nNo more e-mail like this: {link}\n"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=headers,
        connection=connection,
    )
    if message.html_body:
        # The HTML part carries its own unsubscribe link (the composer put it where it reads well).
        email.attach_alternative(message.html_body, "text/html")
    return email


def send_email(message: OutboundMessage, connection: BaseEmailBackend) -> None:
    try:
        sent = email_for(message, connection).send()
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc or type(exc).__name__}") from exc
    if not sent:
        raise DeliveryError("SMTP: the mail server did not accept the message")


def check_destination(url: str) -> None:
    """Refuse an address that resolves to a private, loopback or link-local host, unless
    RETAIN_WEBHOOK_PRIVATE_ADDRESSES allows it (an internal receiver on purpose)."""
    if settings.WEBHOOK_PRIVATE_ADDRESSES:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"HTTP: cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise DeliveryError(
                f"refused: {host} is {address}, not a public address (RETAIN_WEBHOOK_PRIVATE_ADDRESSES=true allows it)"
            )


def post_json(message: OutboundMessage, client: httpx.Client) -> None:
    """POST the payload; any 2xx is delivered. Webhooks are signed and carry the idempotency key."""
    check_destination(message.to)
    body = json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if message.channel == Channel.WEBHOOK:
        headers["Idempotency-Key"] = message.idempotency_key
        headers["Retain-Signature"] = webhook_signature(webhook_secret(message.workspace_id), int(time.time()), body)
    try:
        response = client.post(message.to, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"HTTP: {exc or type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}")


def http_client() -> httpx.Client:
    """One client per sweep: connections to the same receiver are reused; redirects are not followed."""
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)


HTTP_CHANNELS: dict[str, Callable[[OutboundMessage, httpx.Client], None]] = {
    Channel.SLACK: post_json,
    Channel.WEBHOOK: post_json,
}
