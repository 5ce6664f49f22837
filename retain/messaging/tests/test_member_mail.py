"""E-mail to the workspace's own members: queued and sent like any message, without unsubscribe or timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import Inbox, free_port
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def _notice(workspace: Workspace, member: Member, key: str = "notice:1", **extra: Any) -> OutboundMessage:
    return services.member_email_enqueue(
        workspace=workspace,
        member=member,
        subject="Your day",
        body="Hello Carol,\nthree things today.",
        idempotency_key=key,
        source="test",
        **extra,
    )


def test_a_member_notice_arrives_with_its_message_id_and_no_unsubscribe(
    smtp: Inbox, workspace: Workspace, carol: Member, account: Account
) -> None:
    queued = _notice(workspace, carol, account=account)
    assert queued.status == DeliveryStatus.QUEUED and queued.member == carol and queued.contact is None
    assert queued.to == "carol@acme.example"
    assert services.deliveries_send_due() == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["carol@acme.example"] and mail["Subject"] == "Your day"
    assert mail["Message-ID"] == queued.message_id
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    assert "No more e-mail like this" not in mail.get_content()
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SENT
    # Internal mail is no fact about the customer, even when it names an account.
    assert not TimelineEntry.objects.filter(kind=EntryKind.EMAIL_SENT).exists()


def test_the_same_key_returns_the_first_row(workspace: Workspace, carol: Member) -> None:
    first = _notice(workspace, carol)
    again = _notice(workspace, carol)
    assert again.pk == first.pk and OutboundMessage.objects.count() == 1


def test_an_inactive_member_or_one_without_an_address_is_suppressed_with_a_reason(
    workspace: Workspace, carol: Member, dave: Member
) -> None:
    carol.is_active = False
    carol.save(update_fields=["is_active"])
    dave.user.email = ""
    dave.user.save(update_fields=["email"])
    gone = _notice(workspace, carol, key="n:carol")
    no_address = _notice(workspace, dave, key="n:dave")
    assert gone.status == DeliveryStatus.SUPPRESSED and gone.status_reason == "the member is no longer active"
    assert no_address.status == DeliveryStatus.SUPPRESSED
    assert no_address.status_reason == "the member has no e-mail address"
    assert gone.next_attempt_at is None and services.deliveries_send_due() == 0


def test_a_member_address_on_the_suppression_list_is_not_mailed(workspace: Workspace, carol: Member) -> None:
    services.suppression_add(workspace=workspace, email=carol.user.email.upper(), reason="complaint")
    notice = _notice(workspace, carol)
    assert notice.status == DeliveryStatus.SUPPRESSED
    assert notice.status_reason == "the address is on the suppression list (complaint)"


def test_a_member_deactivated_after_queueing_is_not_mailed(smtp: Inbox, workspace: Workspace, carol: Member) -> None:
    queued = _notice(workspace, carol)
    Member.objects.filter(pk=carol.pk).update(is_active=False)
    assert services.deliveries_send_due() == 0
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SUPPRESSED and queued.status_reason == "the member is no longer active"
    assert queued.attempts == 0 and smtp.messages == []


def test_bad_input_names_the_field(workspace: Workspace, carol: Member, olga: Member) -> None:
    with pytest.raises(ValidationError) as raised:
        _notice(workspace, olga)
    assert "member" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.member_email_enqueue(workspace=workspace, member=carol, subject=" ", body="", idempotency_key="k")
    assert "subject" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        _notice(workspace, carol, key="")
    assert "idempotency_key" in raised.value.message_dict
    assert not OutboundMessage.objects.exists()


def test_an_unreachable_server_backs_off_like_any_message(settings: Any, workspace: Workspace, carol: Member) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    _notice(workspace, carol)
    now = timezone.now()
    assert services.deliveries_send_due(now=now) == 0
    message = OutboundMessage.objects.get()
    assert message.status == DeliveryStatus.RETRYING and message.last_error.startswith("SMTP:")
    assert message.next_attempt_at == now + dt.timedelta(minutes=1)
    assert services.deliveries_send_due(now=now + dt.timedelta(seconds=30)) == 0  # not due yet
    message.refresh_from_db()
    assert message.attempts == 1
