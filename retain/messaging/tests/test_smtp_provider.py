"""E-mail through a real provider's kind of server: login over STARTTLS or TLS, certificate checked.

The server is aiosmtpd on 127.0.0.1 with a certificate from a throwaway authority made here; the
sender trusts that authority the way a deployment trusts the system's, through SSL_CERT_FILE.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from retain.accounts.models import Account, Contact
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import Inbox, free_port

# The implicit-TLS server encrypts every byte, but aiosmtpd warns since it counts only STARTTLS as TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER, PASSWORD = "retain@acme.example", "app-password-42"


class Authenticator:
    """Accepts one user name and password; remembers every attempt."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, bool]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (user, password) == (USER, PASSWORD)
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # what ssl.create_default_context() trusts
    return ca


@contextmanager
def provider(ca: trustme.CA, *, implicit_tls: bool) -> Iterator[tuple[Inbox, Authenticator, int]]:
    """An SMTP server that refuses to take mail before a login, and a login before encryption."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    inbox, authenticator = Inbox(), Authenticator()
    options: dict[str, Any] = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": True}
    if implicit_tls:
        # Every byte is encrypted already; aiosmtpd only recognises STARTTLS sessions as such.
        options["auth_require_tls"] = False
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=server_context, **options)
    else:
        controller = Controller(
            inbox, hostname="127.0.0.1", port=free_port(), tls_context=server_context, require_starttls=True, **options
        )
    controller.start()
    try:
        yield inbox, authenticator, controller.port
    finally:
        controller.stop()


def _configure(settings: Any, port: int, security: str, password: str = PASSWORD) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = USER, password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = security == "starttls", security == "tls"


def _queue(account: Account, contact: Contact, key: str) -> OutboundMessage:
    return services.email_enqueue(
        account=account, contact=contact, subject="Welcome to Acme", body="Hi Jane,\nwelcome aboard.",
        idempotency_key=key, source="playbook:welcome",
    )  # fmt: skip


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_through_a_server_that_requires_login_and_encryption(
    settings: Any, authority: trustme.CA, account: Account, jane: Contact, security: str
) -> None:
    with provider(authority, implicit_tls=security == "tls") as (inbox, authenticator, port):
        _configure(settings, port, security)
        queued = _queue(account, jane, f"welcome:{security}")
        assert services.deliveries_send_due() == 1
    [(recipients, mail)] = inbox.messages
    assert recipients == ["jane@globex.example"] and mail["Message-ID"] == queued.message_id
    assert authenticator.logins == [(USER, True)]
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SENT


def test_without_encryption_the_server_takes_nothing_and_the_message_is_retried(
    settings: Any, authority: trustme.CA, account: Account, jane: Contact
) -> None:
    with provider(authority, implicit_tls=False) as (inbox, authenticator, port):
        _configure(settings, port, "none")
        queued = _queue(account, jane, "welcome:plain")
        services.deliveries_send_due()
    assert inbox.messages == [] and authenticator.logins == []
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.RETRYING and queued.last_error


def test_a_wrong_password_is_a_visible_failure_not_a_sent_message(
    settings: Any, authority: trustme.CA, account: Account, jane: Contact
) -> None:
    with provider(authority, implicit_tls=False) as (inbox, authenticator, port):
        _configure(settings, port, "starttls", password="wrong")
        queued = _queue(account, jane, "welcome:wrong")
        services.deliveries_send_due()
    assert inbox.messages == [] and authenticator.logins and not any(ok for _, ok in authenticator.logins)
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.RETRYING and "535" in queued.last_error


def test_a_certificate_nobody_trusts_is_refused(
    settings: Any, authority: trustme.CA, account: Account, jane: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")  # the system's authorities do not know the throwaway one
    with provider(authority, implicit_tls=False) as (inbox, _authenticator, port):
        _configure(settings, port, "starttls")
        queued = _queue(account, jane, "welcome:untrusted")
        services.deliveries_send_due()
    assert inbox.messages == []
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.RETRYING and "certificate" in queued.last_error.lower()
