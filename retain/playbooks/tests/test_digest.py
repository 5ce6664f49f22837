"""Digest playbooks: a CSM's alerts of a day arrive as one e-mail the next day, not one by one."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.messaging import services as messaging_services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.playbooks import engine, services
from retain.playbooks.models import DigestItem
from retain.playbooks.tests.helpers import playbook
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace

NOW = timezone.now()
TODAY = dt.date.today()
STEPS = [
    {"task": {"title": "Call {{ account.name }}", "kind": "call", "due_in_days": 1}},
    {"slack": {"url": "https://hooks.slack.example/T1", "text": "{{ account.name }} needs a call"}},
]


def second_account(workspace: Workspace, carol: Member) -> Account:
    other = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="enterprise", owner=carol
    )
    account_services.subscription_create(
        account=other, actor=None, via="test", product="P", mrr=Decimal(50), seats=1,
        started_on=TODAY - dt.timedelta(days=305), term_end=TODAY + dt.timedelta(days=60),
    )  # fmt: skip
    return other


def run(workspace: Workspace, digest: bool) -> None:
    playbook(
        workspace,
        key="calls",
        trigger={"kind": "time", "from": "subscription_start", "after_days": 305},
        digest=digest,
        steps=STEPS,
    )
    engine.scan(workspace=workspace, now=NOW)
    engine.sweep(now=NOW, worker_name="w")


def test_the_days_alerts_go_to_the_owner_in_one_digest(workspace: Workspace, account: Account, carol: Member) -> None:
    second_account(workspace, carol)
    run(workspace, digest=True)
    assert Task.objects.count() == 2  # the work is still there
    assert not OutboundMessage.objects.filter(channel="slack").exists()  # but no post per alert
    assert DigestItem.objects.filter(member=carol, day=TODAY).count() == 4
    assert services.digests_send(workspace=workspace, now=NOW) == 0  # the day is not over
    assert not OutboundMessage.objects.exists()

    tomorrow = NOW + dt.timedelta(days=1)
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    # Queued in the outbox and handed over, not yet mailed: the sweep sends it.
    queued = OutboundMessage.objects.get(channel="email")
    assert queued.member == carol and queued.contact is None and queued.status == DeliveryStatus.QUEUED
    assert queued.idempotency_key == f"digest:{carol.pk}:{TODAY.isoformat()}"
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()
    assert mail.outbox == []
    assert messaging_services.deliveries_send_due(now=tomorrow) == 1
    (message,) = mail.outbox
    assert message.to == ["carol@acme.example"]
    assert message.subject == f"Playbook digest for {TODAY.isoformat()}: 4 items"
    assert message.extra_headers["Message-ID"] == queued.message_id
    assert "List-Unsubscribe" not in message.extra_headers  # a notice to our own CSM
    assert "- Globex: new task 'Call Globex'" in message.body
    assert "- Initech: Initech needs a call" in message.body
    assert "/w/acme/tasks/" in message.body
    assert services.digests_send(workspace=workspace, now=tomorrow) == 0
    assert messaging_services.deliveries_send_due(now=tomorrow) == 0
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.get(pk=queued.pk).status == DeliveryStatus.SENT
    assert not TimelineEntry.objects.filter(kind=EntryKind.EMAIL_SENT).exists()


def test_a_digest_the_server_refused_backs_off_and_is_resent_with_the_same_message_id(
    workspace: Workspace, account: Account, carol: Member
) -> None:
    run(workspace, digest=True)
    tomorrow = NOW + dt.timedelta(days=1)
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("connection refused")):
        assert messaging_services.deliveries_send_due(now=tomorrow) == 0
    queued = OutboundMessage.objects.get(channel="email")
    assert queued.status == DeliveryStatus.RETRYING and queued.last_error == "SMTP: connection refused"
    assert queued.next_attempt_at == tomorrow + messaging_services.BACKOFF[0]
    # The digest run does not queue it again, and the sweep waits for the backoff.
    assert services.digests_send(workspace=workspace, now=tomorrow + dt.timedelta(seconds=30)) == 0
    assert messaging_services.deliveries_send_due(now=tomorrow + dt.timedelta(seconds=30)) == 0
    assert messaging_services.deliveries_send_due(now=tomorrow + dt.timedelta(minutes=1)) == 1
    (message,) = mail.outbox
    assert message.extra_headers["Message-ID"] == queued.message_id
    assert OutboundMessage.objects.filter(channel="email").count() == 1

    # Failed for good after the last attempt: on the Messages page, where it can be retried.
    OutboundMessage.objects.filter(pk=queued.pk).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="SMTP: connection refused"
    )
    client = Client()
    client.force_login(carol.user)
    page = client.get(reverse("messages", args=[workspace.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Playbook digest for {TODAY.isoformat()}" in html and "carol@acme.example" in html
    assert "SMTP: connection refused" in html


def test_late_items_of_a_day_already_queued_go_out_in_a_follow_up(
    workspace: Workspace, account: Account, carol: Member
) -> None:
    run(workspace, digest=True)
    tomorrow = NOW + dt.timedelta(days=1)
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    first = DigestItem.objects.order_by("pk").first()
    assert first is not None
    late = DigestItem.objects.create(
        workspace=workspace, member=carol, day=TODAY, account=account, enrollment=first.enrollment,
        step_index=99, text="Globex: one more thing",
    )  # fmt: skip
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    follow_up = OutboundMessage.objects.get(idempotency_key=f"digest:{carol.pk}:{TODAY.isoformat()}:{late.pk}")
    assert "1 item" in follow_up.subject and "- Globex: one more thing" in follow_up.body
    assert messaging_services.deliveries_send_due(now=tomorrow) == 2
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 2


def test_an_inactive_csms_digest_is_recorded_as_suppressed(
    workspace: Workspace, account: Account, carol: Member
) -> None:
    run(workspace, digest=True)
    Member.objects.filter(pk=carol.pk).update(is_active=False)
    assert services.digests_send(workspace=workspace, now=NOW + dt.timedelta(days=1)) == 1
    queued = OutboundMessage.objects.get(channel="email")
    assert queued.status == DeliveryStatus.SUPPRESSED and queued.status_reason == "the member is no longer active"
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()
    assert messaging_services.deliveries_send_due() == 0 and mail.outbox == []


def test_without_digest_each_alert_is_posted(workspace: Workspace, account: Account) -> None:
    run(workspace, digest=False)
    assert OutboundMessage.objects.filter(channel="slack").count() == 1
    assert not DigestItem.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_queue_one_digest(workspace: Workspace, account: Account, carol: Member) -> None:
    run(workspace, digest=True)
    tomorrow = NOW + dt.timedelta(days=1)
    both_read = threading.Barrier(2, timeout=10)
    read = services._pending_digest_items

    def read_then_wait(*args: Any) -> list[DigestItem]:
        items = read(*args)
        both_read.wait()  # both runs saw the same unsent items before either queued them
        return items

    results: list[int] = []

    def digest_run() -> None:
        try:
            results.append(services.digests_send(workspace=workspace, now=tomorrow))
        finally:
            connection.close()

    with mock.patch.object(services, "_pending_digest_items", read_then_wait):
        threads = [threading.Thread(target=digest_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    (queued,) = OutboundMessage.objects.filter(channel="email")
    assert queued.idempotency_key == f"digest:{carol.pk}:{TODAY.isoformat()}"
    assert not DigestItem.objects.filter(sent_at__isnull=True).exists()
