"""The public unsubscribe page: a GET asks, a POST (or RFC 8058 one-click POST) honours it at once."""

from __future__ import annotations

from django.test import Client

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus, SuppressionReason
from retain.messaging.models import Suppression
from retain.messaging.tokens import unsubscribe_token


def test_a_get_asks_and_changes_nothing(client: Client, jane: Contact) -> None:
    page = client.get(f"/m/u/{unsubscribe_token(jane.pk)}/")
    assert page.status_code == 200 and "Unsubscribe jane@globex.example?" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is None and not Suppression.objects.exists()


def test_a_one_click_post_unsubscribes_at_once_and_suppresses_the_address(account: Account, jane: Contact) -> None:
    queued = services.email_enqueue(account=account, contact=jane, subject="Hi", body="x", idempotency_key="q:1")
    path = f"/m/u/{unsubscribe_token(jane.pk)}/"
    done = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None
    assert Suppression.objects.get().reason == SuppressionReason.UNSUBSCRIBED
    assert TimelineEntry.objects.filter(kind=EntryKind.CONTACT_UNSUBSCRIBED, contact=jane).count() == 1
    # A second click changes nothing more; the message queued before never goes out.
    assert Client().post(path).status_code == 200
    assert TimelineEntry.objects.filter(kind=EntryKind.CONTACT_UNSUBSCRIBED).count() == 1
    assert services.deliveries_send_due() == 0
    queued.refresh_from_db()
    assert queued.status == DeliveryStatus.SUPPRESSED


def test_a_bad_or_forged_token_is_404(client: Client, jane: Contact) -> None:
    assert client.get("/m/u/nonsense/").status_code == 404
    assert client.post(f"/m/u/{jane.pk}:forged/").status_code == 404
    assert client.post(f"/m/u/{unsubscribe_token(999999)}/").status_code == 404


def test_a_survey_link_and_a_message_link_are_the_same_unsubscribe(client: Client, jane: Contact) -> None:
    # Links in survey e-mails sent before messaging existed keep working, and do the same thing.
    assert client.post(f"/s/{unsubscribe_token(jane.pk)}/unsubscribe/").status_code == 200
    assert Suppression.objects.get().email == "jane@globex.example"


def test_too_many_requests_answer_429(client: Client, jane: Contact) -> None:
    path = f"/m/u/{unsubscribe_token(jane.pk)}/"
    statuses = [client.get(path).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429
