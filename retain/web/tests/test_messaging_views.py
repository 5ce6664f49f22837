"""The Messages page: the outbound log with retry, the suppression list, bounces marked by hand.

Every route is checked with the outsider (Olga → 404) and the viewer (Vic → 403 on writes); taking an
address off the list with a CSM (Carol → 403) and a manager (Mark).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage, Suppression
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture
def failed(account: Account, jane: Contact) -> OutboundMessage:
    message = services.email_enqueue(account=account, contact=jane, subject="Welcome", body="Hi", idempotency_key="w:1")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, next_attempt_at=None, last_error="SMTP: connection refused"
    )
    return message


@pytest.fixture
def suppression(workspace: Workspace) -> Suppression:
    return services.suppression_add(workspace=workspace, email="old@globex.example", reason="manual", note="by phone")


def url(workspace: Workspace, name: str, *args: object) -> str:
    return reverse(name, args=[workspace.slug, *args])


def test_the_page_shows_the_log_with_errors_and_the_suppression_list(
    workspace: Workspace, vic: Member, failed: OutboundMessage, suppression: Suppression
) -> None:
    page = client_for(vic).get(url(workspace, "messages"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "SMTP: connection refused" in html and "jane@globex.example" in html and "Failed" in html
    assert "old@globex.example" in html and "by phone" in html
    assert "Retry</button>" not in html and "Suppress</button>" not in html  # a viewer only reads
    assert "whsec_" not in html  # the signing secret is for admins


def test_the_page_filters_by_status(workspace: Workspace, carol: Member, failed: OutboundMessage) -> None:
    assert "Retry</button>" in client_for(carol).get(url(workspace, "messages")).content.decode()
    html = client_for(carol).get(url(workspace, "messages") + "?status=sent").content.decode()
    assert "SMTP: connection refused" not in html and "No messages with this status" in html


def test_an_admin_sees_the_webhook_signing_secret(workspace: Workspace, alice: Member) -> None:
    assert "whsec_" in client_for(alice).get(url(workspace, "messages")).content.decode()


def test_the_page_query_count_does_not_grow_with_rows(
    workspace: Workspace, account: Account, carol: Member, jane: Contact
) -> None:
    client = client_for(carol)
    client.get(url(workspace, "messages"))
    with CaptureQueriesContext(connection) as few:
        client.get(url(workspace, "messages"))
    for n in range(20):
        services.email_enqueue(account=account, contact=jane, subject=f"S{n}", body="b", idempotency_key=f"k{n}")
        services.suppression_add(workspace=workspace, email=f"p{n}@x.example", reason="manual")
    with CaptureQueriesContext(connection) as many:
        client.get(url(workspace, "messages"))
    assert len(many) == len(few)


def test_a_failed_message_is_retried(workspace: Workspace, carol: Member, failed: OutboundMessage) -> None:
    response = client_for(carol).post(url(workspace, "message-retry", failed.pk), follow=True)
    assert response.status_code == 200 and "queued again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.QUEUED and failed.attempts == 0


def test_suppressions_are_added_and_removed_by_a_manager(workspace: Workspace, carol: Member, mark: Member) -> None:
    added = client_for(carol).post(url(workspace, "suppression-add"), {"email": "Legal@Globex.example", "note": "x"})
    assert added.status_code == 302
    suppression = Suppression.objects.get()
    assert suppression.email == "legal@globex.example" and suppression.reason == "manual"
    assert client_for(carol).post(url(workspace, "suppression-remove", suppression.pk)).status_code == 403
    assert client_for(mark).post(url(workspace, "suppression-remove", suppression.pk)).status_code == 302
    assert not Suppression.objects.exists()


def test_a_bad_address_is_refused_with_a_message(workspace: Workspace, carol: Member) -> None:
    page = client_for(carol).post(url(workspace, "suppression-add"), {"email": "nope"}, follow=True)
    assert "Enter an e-mail address." in page.content.decode()
    assert not Suppression.objects.exists()


def test_a_bounce_marked_by_hand_marks_the_contact_and_the_timeline(
    workspace: Workspace, carol: Member, jane: Contact
) -> None:
    response = client_for(carol).post(
        url(workspace, "bounce-mark"), {"email": "jane@globex.example", "type": "bounce", "reason": "mailer daemon"}
    )
    assert response.status_code == 302
    jane.refresh_from_db()
    assert jane.email_bounced_at is not None
    entry = TimelineEntry.objects.get(kind=EntryKind.EMAIL_BOUNCED)
    assert entry.actor == carol and entry.actor_label == "web" and entry.data["role"] == "champion"
    assert Suppression.objects.get().reason == "bounce"


def test_it_requires_rw_access(
    workspace: Workspace, vic: Member, failed: OutboundMessage, suppression: Suppression
) -> None:
    client = client_for(vic)
    assert client.post(url(workspace, "message-retry", failed.pk)).status_code == 403
    assert client.post(url(workspace, "suppression-add"), {"email": "a@b.example"}).status_code == 403
    assert client.post(url(workspace, "suppression-remove", suppression.pk)).status_code == 403
    assert client.post(url(workspace, "bounce-mark"), {"email": "jane@globex.example"}).status_code == 403
    assert OutboundMessage.objects.get().status == DeliveryStatus.FAILED
    assert Suppression.objects.count() == 1


def test_it_checks_ownership(
    workspace: Workspace, olga: Member, failed: OutboundMessage, suppression: Suppression
) -> None:
    client = client_for(olga)
    assert client.get(url(workspace, "messages")).status_code == 404
    assert client.post(url(workspace, "message-retry", failed.pk)).status_code == 404
    assert client.post(url(workspace, "suppression-add"), {"email": "a@b.example"}).status_code == 404
    assert client.post(url(workspace, "suppression-remove", suppression.pk)).status_code == 404
    assert client.post(url(workspace, "bounce-mark"), {"email": "jane@globex.example"}).status_code == 404
    # Even in her own workspace, another workspace's rows do not exist.
    own = olga.workspace.slug
    assert client.post(reverse("message-retry", args=[own, failed.pk])).status_code == 404
    assert client.post(reverse("suppression-remove", args=[own, suppression.pk])).status_code == 404
