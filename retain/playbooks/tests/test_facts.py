"""Timeline facts: steps that did something are on the account's timeline; ticket escalations become facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from retain.accounts.models import Account, TimelineEntry
from retain.playbooks import engine, services
from retain.playbooks.models import Enrollment, ScanMark
from retain.playbooks.tests.helpers import playbook
from retain.tenancy.models import Workspace
from retain.usage.models import UsageEvent

NOW = timezone.now()


def test_a_task_step_is_told_on_the_timeline_once(workspace: Workspace, account: Account) -> None:
    playbook(
        workspace,
        key="check-in",
        name="Year check-in",
        trigger={"kind": "time", "from": "subscription_start", "after_days": 305},
        steps=[{"task": {"title": "Call {{ account.name }}"}}, {"wait": {"days": 1}}],
    )
    engine.scan(workspace=workspace, now=NOW)
    engine.sweep(now=NOW, worker_name="w")
    engine.sweep(now=NOW + dt.timedelta(days=2), worker_name="w")
    (entry,) = TimelineEntry.objects.filter(kind="playbook_step_ran")
    assert entry.summary == "Playbook Year check-in: task for Carol: Call Globex"
    assert entry.data["enrollment"] == Enrollment.objects.get().pk
    assert entry.data["step"] == 0


def event(account: Account, n: int, name: str = "Ticket Escalated", received: dt.datetime = NOW) -> UsageEvent:
    return UsageEvent.objects.create(
        workspace=account.workspace,
        message_id=f"m{n}",
        type="track",
        name=name,
        account=account,
        properties={"subject": f"Outage {n}", "ticket_id": n},
        timestamp=received,
        received_at=received,
    )


def test_facts_and_the_high_water_mark_move_together(
    workspace: Workspace, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    event(account, 1)

    def mark_fails(self: QuerySet, **fields: object) -> int:
        raise RuntimeError("the mark cannot move")

    monkeypatch.setattr(QuerySet, "update", mark_fails)
    with pytest.raises(RuntimeError):
        services.ticket_escalations_record(workspace=workspace, now=NOW)
    monkeypatch.undo()
    assert not TimelineEntry.objects.filter(kind="ticket_escalated").exists()
    assert not ScanMark.objects.exists()
    assert services.ticket_escalations_record(workspace=workspace, now=NOW) == 1


def test_ticket_escalated_events_become_facts_once_and_trigger_playbooks(
    workspace: Workspace, account: Account
) -> None:
    event(account, 0, received=NOW - dt.timedelta(days=5))  # before the first look-back
    event(account, 1)
    event(account, 2, name="Ticket Created")
    assert services.ticket_escalations_record(workspace=workspace, now=NOW) == 1
    event(account, 3)
    assert services.ticket_escalations_record(workspace=workspace, now=NOW) == 1
    assert services.ticket_escalations_record(workspace=workspace, now=NOW) == 0
    facts = TimelineEntry.objects.filter(kind="ticket_escalated").order_by("pk")
    assert [fact.summary for fact in facts] == [
        "Support ticket escalated: Outage 1",
        "Support ticket escalated: Outage 3",
    ]
    assert facts[0].data["ticket_id"] == 1

    playbook(
        workspace,
        key="escalated-ticket",
        trigger={"kind": "event", "entry": "ticket_escalated"},
        steps=[{"task": {"title": "Follow up the escalation", "priority": "urgent"}}],
    )
    event(account, 4)
    engine.scan(workspace=workspace, now=NOW + dt.timedelta(minutes=1))
    (enrollment,) = Enrollment.objects.all()
    assert enrollment.context["entry"]["entry.data.subject"] == "Outage 4"
