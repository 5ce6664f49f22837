"""Steps that reach other apps: tasks, queued e-mail and webhooks, escalation and advocacy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start
from retain.messaging.models import OutboundMessage
from retain.playbooks import engine
from retain.playbooks.models import Enrollment, Playbook, StepRun
from retain.playbooks.tests.helpers import playbook
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace

NOW = timezone.now()
TODAY = dt.date.today()
TIME = {"kind": "time", "from": "subscription_start", "after_days": 305}


def run(workspace: Workspace, steps: list[dict[str, Any]], days: float = 0, key: str = "pb") -> Enrollment:
    playbook(workspace, key=key, trigger=TIME, steps=steps)
    engine.scan(workspace=workspace, now=NOW)
    engine.sweep(now=NOW + dt.timedelta(days=days), worker_name="w")
    return Enrollment.objects.get(playbook_key=key)


def contact(account: Account, email: str, role: str, **fields: Any) -> Contact:
    return account_services.contact_create(
        account=account,
        actor=None,
        via="test",
        email=email,
        role=role,
        first_name=email.split("@")[0].title(),
        **fields,
    )


def test_task_for_the_owner_with_rendered_title_and_source(workspace: Workspace, account: Account) -> None:
    enrollment = run(
        workspace,
        [{"task": {"title": "Risk review: {{ account.name }}", "kind": "review", "priority": "high",
                   "due_in_days": 2, "checklist": ["Check usage", "Call champion"]}}],
    )  # fmt: skip
    task = Task.objects.get()
    assert (task.title, task.kind, task.priority, task.owner, task.due_on) == (
        "Risk review: Globex", "review", "high", account.owner, TODAY + dt.timedelta(days=2),
    )  # fmt: skip
    assert [item["text"] for item in task.checklist] == ["Check usage", "Call champion"]
    assert (task.source, task.source_ref) == ("playbook", f"playbook:pb/enrollment:{enrollment.pk}")
    assert enrollment.context["tasks"] == {"0": task.pk}
    assert StepRun.objects.get().result == {"task": task.pk, "owner": account.owner_id}


@pytest.mark.parametrize(
    ("assignee", "expected"),
    [("manager", "Mark"), ("role:smb", "Dave"), ("role:enterprise", "Carol"), ("dave@acme.example", "Dave")],
)
def test_task_assignees(
    workspace: Workspace, account: Account, mark: Member, dave: Member, assignee: str, expected: str
) -> None:
    run(workspace, [{"task": {"title": "Call", "assignee": assignee}}])
    owner = Task.objects.get().owner
    assert owner is not None and owner.user.first_name == expected


def test_an_assignee_role_nobody_has_fails_the_enrolment(workspace: Workspace, account: Account) -> None:
    enrollment = run(workspace, [{"task": {"title": "Call", "assignee": "role:operational"}}])
    assert enrollment.status == "failed"
    assert "no active member with the role operational" in enrollment.last_error
    assert not Task.objects.exists()


def test_email_goes_to_each_contact_in_the_roles_asked_once(workspace: Workspace, account: Account) -> None:
    champion = contact(account, "jane@globex.example", "champion")
    admin = contact(account, "ops@globex.example", "admin")
    contact(account, "user@globex.example", "user")
    contact(account, "gone@globex.example", "champion", status="left")
    enrollment = run(
        workspace,
        [{"email": {"to": ["champion", "admin"], "subject": "Hello {{ account.name }}",
                    "body": "Hi {{ contact.first_name }}, it is {{ owner.first_name }}."}}],
    )  # fmt: skip
    messages = {m.contact_id: m for m in OutboundMessage.objects.filter(channel="email")}
    assert set(messages) == {champion.pk, admin.pk}
    assert messages[champion.pk].subject == "Hello Globex"
    assert messages[champion.pk].body == "Hi Jane, it is Carol."
    assert messages[champion.pk].idempotency_key == f"enr:{enrollment.pk}:step:0:contact:{champion.pk}"
    assert messages[champion.pk].status == "queued"


def test_email_without_a_contact_in_those_roles_is_skipped(workspace: Workspace, account: Account) -> None:
    enrollment = run(workspace, [{"email": {"to": ["executive_sponsor"], "subject": "Hi", "body": "Hi"}}])
    assert enrollment.status == "done"
    run_row = StepRun.objects.get()
    assert run_row.status == "skipped"
    assert run_row.result["reason"].startswith("no active contact")


def test_slack_and_webhook_are_queued_with_an_idempotency_key(workspace: Workspace, account: Account) -> None:
    enrollment = run(
        workspace,
        [
            {"slack": {"url": "https://hooks.slack.example/T1", "text": "{{ account.name }} turned red"}},
            {"webhook": {"url": "https://crm.example/hook", "payload": {"account": "{{ account.name }}", "n": 1}}},
        ],
    )
    slack, hook = OutboundMessage.objects.order_by("pk")
    assert (slack.channel, slack.to, slack.payload) == (
        "slack",
        "https://hooks.slack.example/T1",
        {"text": "Globex turned red"},
    )
    assert (hook.channel, hook.payload) == ("webhook", {"account": "Globex", "n": 1})
    assert [slack.idempotency_key, hook.idempotency_key] == [
        f"enr:{enrollment.pk}:step:0",
        f"enr:{enrollment.pk}:step:1",
    ]


ESCALATION: list[dict[str, Any]] = [
    {"task": {"title": "Risk review", "kind": "review"}},
    {"escalate": {"step": 0, "after_days": 7}},
]


def test_escalate_waits_then_gives_the_manager_a_task(workspace: Workspace, account: Account, mark: Member) -> None:
    enrollment = run(workspace, ESCALATION)
    assert (enrollment.status, enrollment.step_index) == ("waiting", 1)
    first = Task.objects.get()
    assert enrollment.due_at == first.created_at + dt.timedelta(days=7)
    assert StepRun.objects.count() == 1  # the escalation has not run yet
    engine.sweep(now=NOW + dt.timedelta(days=8), worker_name="w")
    enrollment.refresh_from_db()
    assert enrollment.status == "done"
    escalation = Task.objects.exclude(pk=first.pk).get()
    assert (escalation.kind, escalation.owner, escalation.escalated_from) == ("escalation", mark, first)


def test_escalate_is_skipped_when_the_task_was_done(workspace: Workspace, account: Account, mark: Member) -> None:
    run(workspace, ESCALATION)
    Task.objects.update(status="done")
    engine.sweep(now=NOW + dt.timedelta(days=8), worker_name="w")
    assert Task.objects.count() == 1
    assert StepRun.objects.get(index=1).result["reason"] == "the task of step 0 is done"


def test_advocacy_asks_only_after_the_value_milestone(workspace: Workspace, account: Account) -> None:
    journey_start(account=account, started_on=TODAY - dt.timedelta(weeks=4))
    steps = [{"advocacy": {"ask": "case_study", "after_milestone": "initial-value"}}]
    run(workspace, steps, key="early")
    assert StepRun.objects.get().result["reason"].startswith("the milestone initial-value is not done")
    assert not Task.objects.exists()
    MilestoneProgress.objects.filter(account=account, key="initial-value").update(completed_on=TODAY)
    run(workspace, steps, key="later")
    task = Task.objects.get()
    assert (task.kind, task.title, task.owner) == ("advocacy", "Ask Globex for a case study", account.owner)


def test_a_stage_set_by_a_playbook_is_an_automatic_lifecycle_move(workspace: Workspace, account: Account) -> None:
    run(workspace, [{"set": {"field": "stage", "value": "adoption"}}])
    account.refresh_from_db()
    assert account.stage == "adoption"
    entry = account.timeline.get(kind=EntryKind.STAGE_CHANGED)
    assert entry.data == {"from": "onboarding", "to": "adoption", "reason": "Playbook Pb", "auto": True}


REACHING_OUT = (
    "{{ owner.user.password }}|{{ workspace.members.all.0.user.password }}"
    "|{{ owner.user.memberships.all.0.workspace.accounts.all.0.name }}"
)


def test_a_playbook_template_cannot_reach_past_plain_values(workspace: Workspace, account: Account) -> None:
    with pytest.raises(ValidationError) as error:
        playbook(
            workspace,
            key="leak",
            trigger=TIME,
            steps=[{"slack": {"url": "https://hooks.example/T", "text": REACHING_OUT}}],
        )
    assert "line 1:4: owner.user.password is not a value message templates can use" in str(error.value)


def test_a_template_saved_before_the_check_renders_those_names_as_nothing(
    workspace: Workspace, account: Account
) -> None:
    contact(account, "jane@globex.example", "champion")
    saved = playbook(
        workspace,
        key="pb",
        trigger=TIME,
        steps=[
            {"email": {"to": ["champion"], "subject": "Hi", "body": "x"}},
            {"slack": {"url": "https://hooks.example/T", "text": "x"}},
            {"webhook": {"url": "https://crm.example/hook", "payload": {"leak": "x"}}},
        ],
    )
    # As if written before templates were checked: the stored definition holds the names.
    steps = saved.definition["steps"]
    steps[0]["email"]["body"] = f"[{REACHING_OUT}]"
    steps[1]["slack"]["text"] = f"[{REACHING_OUT}]"
    steps[2]["webhook"]["payload"]["leak"] = f"[{REACHING_OUT}]"
    Playbook.objects.filter(pk=saved.pk).update(definition=saved.definition)
    engine.scan(workspace=workspace, now=NOW)
    engine.sweep(now=NOW, worker_name="w")
    email, slack, webhook = OutboundMessage.objects.order_by("id")
    assert email.body == "[||]"
    assert slack.payload == {"text": "[||]"}
    assert webhook.payload == {"leak": "[||]"}
