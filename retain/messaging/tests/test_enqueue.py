"""Enqueueing: one row per idempotency key, and a reason instead of a message when we must not write."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts.models import Account, Contact
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus, SuppressionReason
from retain.messaging.models import OutboundMessage, Suppression
from retain.tenancy.models import Workspace


def _enqueue(account: Account, contact: Contact | None, key: str = "welcome:1") -> OutboundMessage:
    return services.email_enqueue(
        account=account, contact=contact, subject="Welcome", body="Hi Jane", idempotency_key=key, source="test"
    )


def test_an_email_is_queued_due_now_with_a_message_id_from_its_key(account: Account, jane: Contact) -> None:
    message = _enqueue(account, jane)
    assert message.status == DeliveryStatus.QUEUED and message.to == "jane@globex.example"
    assert message.next_attempt_at is not None and message.next_attempt_at <= timezone.now()
    assert message.message_id.startswith("<") and message.message_id.endswith(">")
    assert message.message_id == services._message_id(account.workspace_id, "welcome:1")


def test_the_same_key_returns_the_first_message(account: Account, jane: Contact) -> None:
    first = _enqueue(account, jane)
    again = services.email_enqueue(
        account=account, contact=jane, subject="Other", body="x", idempotency_key="welcome:1"
    )
    assert again.pk == first.pk and OutboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"email": ""}, "no e-mail address"),
        ({"status": "left"}, "left the company"),
        ({"email_unsubscribed_at": timezone.now()}, "unsubscribed"),
        ({"email_bounced_at": timezone.now()}, "bounced"),
        ({"email_complaint_at": timezone.now()}, "spam"),
    ],
)
def test_a_contact_we_must_not_write_to_is_suppressed_with_the_reason(
    account: Account, jane: Contact, change: dict[str, object], reason: str
) -> None:
    Contact.objects.filter(pk=jane.pk).update(**change)
    jane.refresh_from_db()
    message = _enqueue(account, jane)
    assert message.status == DeliveryStatus.SUPPRESSED and reason in message.status_reason
    assert message.next_attempt_at is None


def test_an_address_on_the_suppression_list_is_suppressed(
    workspace: Workspace, account: Account, jane: Contact
) -> None:
    services.suppression_add(workspace=workspace, email="JANE@globex.example ", reason=SuppressionReason.MANUAL)
    assert Suppression.objects.get().email == "jane@globex.example"
    message = _enqueue(account, jane)
    assert message.status == DeliveryStatus.SUPPRESSED and "suppression list (added by hand)" in message.status_reason


def test_no_contact_is_suppressed(account: Account) -> None:
    assert _enqueue(account, None).status == DeliveryStatus.SUPPRESSED


def test_bad_input_names_the_field(workspace: Workspace, account: Account, jane: Contact) -> None:
    with pytest.raises(ValidationError) as error:
        services.email_enqueue(account=account, contact=jane, subject=" ", body="", idempotency_key="k")
    assert "subject" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.webhook_enqueue(
            workspace=workspace, account=account, channel="slack", url="ftp://x", payload={}, idempotency_key="k"
        )
    assert set(error.value.message_dict) == {"url", "payload"}
    assert OutboundMessage.objects.count() == 0


def test_a_webhook_is_queued_once_per_key(workspace: Workspace, account: Account) -> None:
    kwargs = {
        "workspace": workspace,
        "account": account,
        "channel": "webhook",
        "url": "https://hooks.example.com/in",
        "payload": {"account": account.pk},
        "idempotency_key": "red:1",
    }
    first = services.webhook_enqueue(**kwargs)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
    assert services.webhook_enqueue(**kwargs).pk == first.pk  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
    assert first.status == DeliveryStatus.QUEUED and first.payload == {"account": account.pk}
