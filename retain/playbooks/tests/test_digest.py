"""Digest playbooks: a CSM's alerts of a day arrive as one e-mail the next day, not one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

from django.core import mail
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
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

    tomorrow = NOW + dt.timedelta(days=1)
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    (message,) = mail.outbox
    assert message.to == ["carol@acme.example"]
    assert message.subject == f"Playbook digest for {TODAY.isoformat()}: 4 items"
    assert "- Globex: new task 'Call Globex'" in message.body
    assert "- Initech: Initech needs a call" in message.body
    assert "/w/acme/tasks/" in message.body
    assert services.digests_send(workspace=workspace, now=tomorrow) == 0
    assert len(mail.outbox) == 1


def test_a_digest_the_server_refused_is_sent_by_the_next_run(workspace: Workspace, account: Account) -> None:
    run(workspace, digest=True)
    tomorrow = NOW + dt.timedelta(days=1)
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("connection refused")):
        assert services.digests_send(workspace=workspace, now=tomorrow) == 0
    assert DigestItem.objects.filter(sent_at__isnull=True).count() == 2
    assert services.digests_send(workspace=workspace, now=tomorrow) == 1
    assert mail.outbox[0].extra_headers["Message-ID"].startswith("<")


def test_without_digest_each_alert_is_posted(workspace: Workspace, account: Account) -> None:
    run(workspace, digest=False)
    assert OutboundMessage.objects.filter(channel="slack").count() == 1
    assert not DigestItem.objects.exists()
