"""Slack and webhook posts connect to the address that was checked: a name that answers with a
public address for the check and a private one afterwards (DNS rebinding) cannot reach the private
one, and TLS is still verified against the host name, sent as SNI."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from django.utils import timezone

from retain.accounts.models import Account
from retain.messaging import services, transports
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import http_receiver
from retain.tenancy.models import Workspace

HOST = "hooks.customer.example"
PUBLIC = "93.184.215.14"
REAL_GETADDRINFO = socket.getaddrinfo
REAL_CREATE_CONNECTION = socket.create_connection


class RebindingDns:
    """Answers HOST with `answers` in turn (the last one repeats); other names as the system does."""

    def __init__(self, *answers: str) -> None:
        self.answers = answers
        self.asked = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != HOST:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        address = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Where sockets are opened to. The public address is not really dialled: it refuses at once."""
    opened: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address[0])
        if address[0] == PUBLIC:
            raise ConnectionRefusedError(f"{PUBLIC} refused the connection")
        return REAL_CREATE_CONNECTION(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield opened


def _webhook(workspace: Workspace, account: Account, url: str) -> OutboundMessage:
    return services.webhook_enqueue(
        workspace=workspace, account=account, channel="webhook", url=url, payload={"n": 1}, idempotency_key="pin-1"
    )


def test_a_name_that_rebinds_to_a_private_address_after_the_check_is_not_reached(
    workspace: Workspace, account: Account, settings: Any, monkeypatch: pytest.MonkeyPatch, connects: list[str]
) -> None:
    settings.WEBHOOK_PRIVATE_ADDRESSES = False
    dns = RebindingDns(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with http_receiver([200]) as (receiver, url):
        port = url.split(":")[2].split("/")[0]
        message = _webhook(workspace, account, f"http://{HOST}:{port}/hook")

        assert services.deliveries_send_due() == 0

        assert receiver.requests == []
        assert dns.asked == 1  # one look-up: the one that was checked is the one connected to
        assert connects == [PUBLIC]
        message.refresh_from_db()
        assert message.status == DeliveryStatus.RETRYING and message.last_error.startswith("HTTP")
        # The retry looks the name up again, gets the private address, and is refused before connecting.
        assert services.deliveries_send_due(now=timezone.now() + dt.timedelta(minutes=2)) == 0
        assert receiver.requests == [] and connects == [PUBLIC]
        message.refresh_from_db()
        assert f"refused: {HOST} is 127.0.0.1, not a public address" in message.last_error


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def _server_context(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_https_to_a_pinned_address_sends_the_host_name_as_sni_and_verifies_it(
    workspace: Workspace, account: Account, settings: Any, monkeypatch: pytest.MonkeyPatch, ca: trustme.CA
) -> None:
    settings.WEBHOOK_PRIVATE_ADDRESSES = True  # the receiver is this machine, on purpose
    dns = RebindingDns("127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with http_receiver([200], tls=_server_context(ca, HOST)) as (receiver, url):
        port = url.split(":")[2].split("/")[0]
        message = _webhook(workspace, account, f"https://{HOST}:{port}/hook")
        with transports.http_client(verify=_client_context(ca)) as client:
            transports.post_json(message, client)
    assert receiver.server_names == [HOST]
    assert receiver.bodies == [{"n": 1}]
    assert receiver.requests[0][0]["host"] == f"{HOST}:{port}"
    assert dns.asked == 1


def test_a_certificate_for_another_name_is_refused(
    workspace: Workspace, account: Account, settings: Any, monkeypatch: pytest.MonkeyPatch, ca: trustme.CA
) -> None:
    settings.WEBHOOK_PRIVATE_ADDRESSES = True
    monkeypatch.setattr(socket, "getaddrinfo", RebindingDns("127.0.0.1"))
    with http_receiver([200], tls=_server_context(ca, "elsewhere.example")) as (receiver, url):
        port = url.split(":")[2].split("/")[0]
        message = _webhook(workspace, account, f"https://{HOST}:{port}/hook")
        client = transports.http_client(verify=_client_context(ca))
        with client, pytest.raises(transports.DeliveryError, match="CERTIFICATE_VERIFY_FAILED"):
            transports.post_json(message, client)
    assert receiver.requests == []
