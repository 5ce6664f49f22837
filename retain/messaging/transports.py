"""How each channel hands a message over; each returns on success and raises DeliveryError otherwise.

Nothing here touches the database: the sweep in services claims, calls, and records.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable

import httpcore
import httpx
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from httpcore import SOCKET_OPTION

from retain.lib.senders import from_header
from retain.messaging.choices import Channel
from retain.messaging.models import OutboundMessage
from retain.messaging.tokens import unsubscribe_token, webhook_secret, webhook_signature

HTTP_TIMEOUT = 10.0
MAX_CONNECTIONS = 20
KEEPALIVE_SECONDS = 5.0
USER_AGENT = "Retain-Webhooks/1"


class DeliveryError(Exception):
    """The receiver did not take the message; the text is shown as the message's last error."""


def unsubscribe_url(contact_id: int) -> str:
    return f"{settings.SITE_URL}{reverse('message-unsubscribe', args=[unsubscribe_token(contact_id)])}"


def sender_of(message: OutboundMessage) -> tuple[str, list[str]]:
    """(From, Reply-To) of an e-mail, as the workspace's settings say when it is sent.

    Mail to a customer is in the name of the account's CSM and replies go to them; a notice to
    one of our own members (a digest) is from the workspace, with no Reply-To. Read at send time,
    so a retry after the settings or the account's owner changed uses the current ones.
    """
    owner = message.account.owner if message.account is not None and message.member_id is None else None
    if owner is None or not owner.is_active:
        return message.workspace.sender(), []
    reply_to = [from_header(owner.display_name, owner.user.email)] if owner.user.email else []
    return message.workspace.sender(owner.display_name), reply_to


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
    from_email, reply_to = sender_of(message)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=body,
        from_email=from_email,
        to=[message.to],
        reply_to=reply_to,
        headers=headers,
        connection=connection,
    )
    if message.html_body:
        # The HTML part carries its own unsubscribe link (the composer put it where it reads well).
        email.attach_alternative(message.html_body, "text/html")
    for attached in (message.payload or {}).get("attachments", []):
        email.attach(attached["filename"], base64.b64decode(attached["content"]), attached["content_type"])
    return email


def send_email(message: OutboundMessage, connection: BaseEmailBackend) -> None:
    try:
        sent = email_for(message, connection).send()
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc or type(exc).__name__}") from exc
    if not sent:
        raise DeliveryError("SMTP: the mail server did not accept the message")


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses `host` resolves to, refused when any is private, loopback or link-local unless
    RETAIN_WEBHOOK_PRIVATE_ADDRESSES allows it (an internal receiver on purpose)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"HTTP: cannot resolve {host}: {exc}") from exc
    addresses = []
    for info in infos:
        text = str(info[4][0])
        address = ipaddress.ip_address(text.split("%")[0])
        if not allow_private and not address.is_global:
            raise DeliveryError(
                f"refused: {host} is {address}, not a public address (RETAIN_WEBHOOK_PRIVATE_ADDRESSES=true allows it)"
            )
        if text not in addresses:
            addresses.append(text)
    return addresses


class PinnedBackend(httpcore.NetworkBackend):
    """Opens each connection to an address that was checked, looked up once for that connection.

    Checking a name and then letting the HTTP library look it up again leaves a window (DNS
    rebinding): a name that answered with a public address for the check can answer 127.0.0.1 or
    169.254.169.254 for the connection. Here the lookup that is checked is the one connected to.
    TLS is untouched: httpcore still sends the URL's host name as SNI and verifies the certificate
    against it, whatever address the socket went to.
    """

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # in the resolver's order, as a plain connect would try them
            try:
                return self.sockets.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are not posted to unix sockets")

    def sleep(self, seconds: float) -> None:
        self.sockets.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport (its request and response handling, its error types) over a
    connection pool whose sockets go only to checked addresses. httpx takes no network backend,
    httpcore's pool does: the pool httpx built is replaced by one that uses PinnedBackend."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, allow_private: bool) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=PinnedBackend(allow_private=allow_private),
        )


def post_json(message: OutboundMessage, client: httpx.Client) -> None:
    """POST the payload; any 2xx is delivered. Webhooks are signed and carry the idempotency key.

    The client comes from http_client(): its connections go only to addresses that were checked."""
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


def http_client(*, verify: ssl.SSLContext | bool = True) -> httpx.Client:
    """One client per sweep: connections to the same receiver are reused; redirects are not followed;
    proxies from the environment are not used (a proxy would connect to an address nobody checked)."""
    transport = PinnedTransport(verify=verify, allow_private=settings.WEBHOOK_PRIVATE_ADDRESSES)
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False, transport=transport, trust_env=False)


HTTP_CHANNELS: dict[str, Callable[[OutboundMessage, httpx.Client], None]] = {
    Channel.SLACK: post_json,
    Channel.WEBHOOK: post_json,
}
