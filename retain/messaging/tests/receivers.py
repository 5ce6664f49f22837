"""Real local servers for delivery tests: an SMTP server (aiosmtpd) and an HTTP(S) receiver thread."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping every message it is handed; it refuses the addresses in `refused`
    (550, as a server does for a mailbox that does not exist)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]  # aiosmtpd types the recipients loosely; they are strings
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to, for one test."""
    with smtp_server() as (inbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
        settings.SITE_URL = "https://cs.example.com"
        yield inbox


class Receiver:
    """Records every POST; answers with the next status from `statuses` (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []  # the SNI of each TLS handshake
        self.lock = threading.Lock()

    def next_status(self) -> int:
        with self.lock:
            index = min(len(self.requests), len(self.statuses)) - 1
            return self.statuses[max(index, 0)]

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(body) for _, body in self.requests]


@contextmanager
def http_receiver(statuses: list[int], tls: ssl.SSLContext | None = None) -> Iterator[tuple[Receiver, str]]:
    """A receiver on 127.0.0.1 and its URL; with `tls` (a server context) it speaks HTTPS."""
    receiver = Receiver(statuses)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver is down")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:

        def server_name(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
            with receiver.lock:
                receiver.server_names.append(name)

        tls.sni_callback = server_name  # type: ignore[assignment]  # the stubs want the exact callback signature; this one matches at run time
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver, f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
