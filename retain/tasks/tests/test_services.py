from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry, Touchpoint
from retain.tasks import services
from retain.tasks.choices import TaskStatus
from retain.tasks.models import Task
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member

TODAY = dt.date(2026, 3, 2)


def _task(account: Account, owner: Member | None, **extra: object) -> Task:
    fields: dict[str, object] = {"title": "Call the champion", "kind": "call", "due_on": TODAY, "owner": owner}
    fields.update(extra)
    return services.task_create(account=account, actor=owner, **fields)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types


def _entries(account: Account) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(account=account, kind=EntryKind.TASK_COMPLETED))


def test_create_keeps_every_field_and_cleans_the_checklist(account: Account, carol: Member) -> None:
    task = services.task_create(
        account=account,
        title="  Risk review: Globex ",
        kind="review",
        due_on=TODAY,
        owner=carol,
        priority="high",
        checklist=["Check usage", {"text": "Call champion", "done": True}],
        description="Health turned red",
        source="playbook",
        source_ref="playbook:health-turned-red/enrollment:12",
    )
    task.refresh_from_db()
    assert task.title == "Risk review: Globex"
    assert (task.kind, task.priority, task.status, task.source) == ("review", "high", "open", "playbook")
    assert task.checklist == [{"text": "Check usage", "done": False}, {"text": "Call champion", "done": True}]
    assert task.is_open and task.from_playbook and task.playbook_key == "health-turned-red"
    assert task.workspace_id == account.workspace_id
    assert task.checklist_done == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"kind": "dance"}, "kind"),
        ({"priority": "asap"}, "priority"),
        ({"due_on": "2026-03-02"}, "due_on"),
        ({"source": "robot"}, "source"),
        ({"checklist": "one item"}, "checklist"),
        ({"checklist": [{"text": ""}]}, "checklist[0].text"),
        ({"checklist": ["ok", {"text": "x", "done": "yes"}]}, "checklist[1].done"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    account: Account, carol: Member, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _task(account, carol, **fields)
    assert field in caught.value.message_dict
    assert not Task.objects.exists()


def test_owner_must_be_an_active_writer_of_the_workspace(account: Account, vic: Member, olga: Member) -> None:
    for owner in (vic, olga):
        with pytest.raises(ValidationError) as caught:
            _task(account, owner)
        assert "owner" in caught.value.message_dict
    assert _task(account, None).owner == account.owner  # nobody named: the account's owner


def test_a_task_is_never_unassigned_it_falls_back_to_the_workspaces_fallback_owner(
    account: Account, carol: Member, mark: Member, alice: Member, dave: Member
) -> None:
    account_services.account_update(account=account, actor=None, via="test", owner=None)
    assert _task(account, None).owner == mark  # no fallback chosen: the first manager
    tenancy_services.workspace_update(workspace=account.workspace, fallback_owner=dave)
    assert _task(account, None).owner == dave
    tenancy_services.member_update(actor=alice, member=dave, is_active=False)
    account.workspace.refresh_from_db()
    assert _task(account, None).owner == mark  # the chosen one left: the first manager again


def test_complete_writes_one_timeline_entry_with_the_outcome(account: Account, carol: Member) -> None:
    task = _task(account, carol, source="playbook", source_ref="playbook:qbr/enrollment:7")
    services.task_complete(task=task, actor=carol, outcome="Agreed on a QBR date")
    assert task.status == TaskStatus.DONE and task.completed_by == carol and task.completed_at is not None
    with pytest.raises(ValidationError) as caught:
        services.task_complete(task=task, actor=carol, outcome="again")
    assert "status" in caught.value.message_dict
    [entry] = _entries(account)
    assert entry.summary == "Task done: Call the champion — Agreed on a QBR date"
    assert entry.data == {
        "task_id": task.pk,
        "kind": "call",
        "source": "playbook",
        "source_ref": "playbook:qbr/enrollment:7",
    }
    assert entry.actor == carol
    assert not Touchpoint.objects.exists()
    task.refresh_from_db()
    assert task.outcome == "Agreed on a QBR date"


def test_complete_can_log_the_call_as_a_touchpoint(account: Account, carol: Member) -> None:
    task = _task(account, carol)
    services.task_complete(task=task, actor=carol, outcome="Champion is happy", log_touchpoint="call")
    [touchpoint] = Touchpoint.objects.filter(account=account)
    assert touchpoint.kind == "call" and touchpoint.member == carol
    assert touchpoint.summary == "Call the champion: Champion is happy"
    assert TimelineEntry.objects.filter(account=account, kind=EntryKind.TOUCHPOINT_LOGGED).count() == 1
    [entry] = _entries(account)
    assert entry.data["touchpoint_id"] == touchpoint.pk


def test_a_bad_touchpoint_kind_writes_nothing(account: Account, carol: Member) -> None:
    task = _task(account, carol)
    with pytest.raises(ValidationError) as caught:
        services.task_complete(task=task, actor=carol, log_touchpoint="carrier pigeon")
    assert "log_touchpoint" in caught.value.message_dict
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not _entries(account) and not Touchpoint.objects.exists()


def test_cancelled_tasks_cannot_be_completed_edited_or_ticked(account: Account, carol: Member) -> None:
    task = _task(account, carol, checklist=["a"])
    services.task_cancel(task=task, actor=carol, reason="Customer paused the project")
    assert task.status == TaskStatus.CANCELLED and task.outcome == "Customer paused the project"
    for attempt in (
        lambda: services.task_complete(task=task, actor=carol),
        lambda: services.task_update(task=task, actor=carol, title="New"),
        lambda: services.task_checklist_toggle(task=task, actor=carol, index=0, done=True),
        lambda: services.task_cancel(task=task, actor=carol),
    ):
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert "cancelled" in caught.value.message_dict["status"][0]
    assert not _entries(account)


def test_reopen_then_complete_again_writes_a_second_entry(account: Account, carol: Member) -> None:
    task = _task(account, carol)
    services.task_complete(task=task, actor=carol, outcome="first")
    services.task_reopen(task=task, actor=carol)
    assert task.is_open and task.completed_at is None
    with pytest.raises(ValidationError):
        services.task_reopen(task=task, actor=carol)
    services.task_complete(task=task, actor=carol, outcome="second")
    assert len(_entries(account)) == 2


def test_update_changes_fields_and_refuses_unknown_ones(account: Account, carol: Member, dave: Member) -> None:
    task = _task(account, carol)
    services.task_update(
        task=task,
        actor=carol,
        title="Call the new champion",
        due_on=TODAY + dt.timedelta(days=3),
        priority="urgent",
        owner=dave,
        checklist=["Find the new champion"],
    )
    task.refresh_from_db()
    assert task.title == "Call the new champion" and task.priority == "urgent" and task.owner == dave
    assert task.due_on == TODAY + dt.timedelta(days=3)
    assert task.checklist == [{"text": "Find the new champion", "done": False}]
    with pytest.raises(ValidationError) as caught:
        services.task_update(task=task, actor=carol, status="done")
    assert "status" in caught.value.message_dict
    services.task_update(task=task, actor=carol, owner=None)
    task.refresh_from_db()
    assert task.owner == account.owner  # never unassigned: back to the account's owner


def test_checklist_toggle(account: Account, carol: Member) -> None:
    task = _task(account, carol, checklist=["Check usage", "Call champion"])
    services.task_checklist_toggle(task=task, actor=carol, index=1, done=True)
    task.refresh_from_db()
    assert task.checklist == [{"text": "Check usage", "done": False}, {"text": "Call champion", "done": True}]
    with pytest.raises(ValidationError) as caught:
        services.task_checklist_toggle(task=task, actor=carol, index=2, done=True)
    assert "index" in caught.value.message_dict


def test_escalation_links_the_task_it_escalates(account: Account, carol: Member, mark: Member) -> None:
    original = _task(account, carol)
    escalation = _task(account, mark, kind="escalation", escalated_from=original, title="Still open: call")
    assert escalation.escalated_from == original
    assert list(original.escalations.all()) == [escalation]
