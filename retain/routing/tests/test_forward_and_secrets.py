"""Support-desk questions forwarded by e-mail through the outbox to a real SMTP server, once per
message, with the forward on the timeline; providers' signing secrets stored encrypted."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection

from retain.accounts.models import Account, Contact, TimelineEntry
from retain.lib import sealed
from retain.messaging import services as messaging
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp  # a real aiosmtpd server
from retain.routing import services
from retain.routing.choices import Source
from retain.routing.models import RoutingSetup
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db
HOW_TO = "How do I export my contacts to CSV?"


def test_a_support_question_is_mailed_to_the_support_desk_once(
    workspace: Workspace, account: Account, alice: Member, jane: Contact, smtp: Inbox
) -> None:
    services.routing_settings_save(
        actor=alice, workspace=workspace, support_webhook_url="", support_email="Help@Support.Example", secrets={}
    )
    message, created = services.inbound_receive(
        workspace=workspace, source=Source.EMAIL, sender="Jane <jane@globex.example>", text=HOW_TO,
        subject="Export", source_message_id="<m1@globex.example>",
    )  # fmt: skip
    assert created and message.desk == "support"
    again, created = services.inbound_receive(
        workspace=workspace, source=Source.EMAIL, sender="jane@globex.example", text=HOW_TO,
        subject="Export", source_message_id="<m1@globex.example>",
    )  # fmt: skip
    assert not created and again.pk == message.pk
    services.message_act(message=message)  # acting twice queues nothing more
    forwards = OutboundMessage.objects.filter(workspace=workspace, source=f"routing:forward:{message.pk}")
    assert forwards.count() == 1 and forwards.get().pk == message.forwarded_id
    assert messaging.deliveries_send_due() == 1, list(OutboundMessage.objects.values_list("status", "last_error"))
    assert messaging.deliveries_send_due() == 0
    assert len(smtp.messages) == 1
    recipients, mail = smtp.messages[0]
    assert recipients == ["help@support.example"]
    assert mail["Subject"] == "[How-to] Globex: Export" or mail["Subject"].endswith("Globex: Export")
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]  # a plain part is always there
    assert HOW_TO in text and "From: Jane <jane@globex.example>" in text and "List-Unsubscribe" not in mail
    forwards.get().refresh_from_db()
    assert forwards.get().status == DeliveryStatus.SENT
    entries = TimelineEntry.objects.filter(account=account, summary__startswith="Forwarded to support")
    assert entries.count() == 1 and "help@support.example" in entries.get().summary
    assert not TimelineEntry.objects.filter(account=account, kind="email_sent").exists()


def test_a_bad_support_address_is_refused_and_nothing_is_saved(workspace: Workspace, alice: Member) -> None:
    with pytest.raises(services.RoutingError) as caught:
        services.routing_settings_save(
            actor=alice, workspace=workspace, support_webhook_url="https://support.example/in",
            support_email="not an address", secrets={"slack_signing_secret": "s1"},
        )  # fmt: skip
    assert caught.value.field == "support_email"
    setup = services.routing_setup_get(workspace=workspace)
    assert (setup.support_webhook_url, setup.slack_signing_secret) == ("", "")


def test_signing_secrets_are_stored_encrypted_and_read_back(workspace: Workspace, alice: Member) -> None:
    services.routing_settings_save(
        actor=alice, workspace=workspace, support_webhook_url="",
        secrets={"slack_signing_secret": "slack-s3cret", "mailgun_signing_key": "mg-key-1"},
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT slack_signing_secret, mailgun_signing_key, zendesk_signing_secret FROM routing_routingsetup "
            "WHERE workspace_id = %s",
            [workspace.pk],
        )
        slack, mailgun, zendesk = cursor.fetchone()
    assert slack.startswith("sealed:") and "slack-s3cret" not in slack
    assert mailgun.startswith("sealed:") and "mg-key-1" not in mailgun
    assert zendesk == ""
    setup = RoutingSetup.objects.get(workspace=workspace)
    assert (setup.slack_signing_secret, setup.mailgun_signing_key) == ("slack-s3cret", "mg-key-1")


def test_a_secret_sealed_under_another_key_is_an_error_not_an_empty_secret(settings: object) -> None:
    stored = sealed.seal("abc")
    assert sealed.unseal(stored) == "abc"
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]  # type: ignore[attr-defined]  # pytest-django's settings
    settings.SECRET_KEY = "another-secret-key-0123456789abcdef0123"  # type: ignore[attr-defined]
    assert sealed.unseal(stored) == "abc"  # the old key still reads it while it is a fallback
    settings.SECRET_KEY_FALLBACKS = []  # type: ignore[attr-defined]
    with pytest.raises(sealed.SealedError):
        sealed.unseal(stored)
    with pytest.raises(sealed.SealedError):
        sealed.unseal("plain text")


def test_the_migration_encrypts_the_secrets_already_stored(workspace: Workspace) -> None:
    step = importlib.import_module("retain.routing.migrations.0002_encrypted_secrets")
    services.routing_setup_get(workspace=workspace)
    with connection.cursor() as cursor:  # a set-up saved before secrets were encrypted
        cursor.execute(
            "UPDATE routing_routingsetup SET slack_signing_secret = %s WHERE workspace_id = %s", ["old", workspace.pk]
        )
    before = SimpleNamespace(get_model=django_apps.get_model)
    editor = SimpleNamespace(connection=connection)
    step.seal_stored(before, editor)
    step.seal_stored(before, editor)  # twice: a sealed value is left alone
    assert RoutingSetup.objects.get(workspace=workspace).slack_signing_secret == "old"
    with connection.cursor() as cursor:
        cursor.execute("SELECT slack_signing_secret FROM routing_routingsetup WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone()[0].startswith("sealed:")
    step.unseal_stored(before, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT slack_signing_secret FROM routing_routingsetup WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone()[0] == "old"
