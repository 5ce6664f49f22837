"""Writes to tasks: create, edit, tick a checklist item, complete (with an outcome), cancel, reopen.

Keyword-only, validated before anything is written, atomic; bad input raises ValidationError naming
the field. Completing a task writes its timeline entry (and, when asked, logs a touchpoint through
the accounts services) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts import timeline
from retain.accounts.choices import TouchpointKind
from retain.accounts.models import Account
from retain.tasks import hooks
from retain.tasks.choices import TaskKind, TaskPriority, TaskSource, TaskStatus
from retain.tasks.models import Task
from retain.tasks.selectors import default_owner
from retain.tenancy.models import Member, Workspace

EDITABLE_FIELDS = {"title", "description", "due_on", "priority", "kind", "owner", "checklist"}
MAX_CHECKLIST_ITEMS = 50


def _clean_title(title: object) -> str:
    text = str(title or "").strip()
    if not text:
        raise ValidationError({"title": "must not be empty"})
    if len(text) > 200:
        raise ValidationError({"title": "must be at most 200 characters"})
    return text


def _clean_choice(field: str, value: object, choices: Any) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"must be one of {allowed} (got {value!r})"})
    return str(value)


def _clean_due(value: object) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError({"due_on": "must be a date"})
    return value


def _clean_owner(account: Account, owner: Member | None) -> Member | None:
    if owner is None:
        # A task is never unassigned: nobody named means the account's owner or the fallback owner.
        return default_owner(account)
    if owner.workspace_id != account.workspace_id:
        raise ValidationError({"owner": "is not a member of this workspace"})
    if not owner.is_active:
        raise ValidationError({"owner": f"{owner} is no longer active"})
    if not owner.can_write:
        raise ValidationError({"owner": f"{owner} is a viewer and cannot own tasks"})
    return owner


def clean_checklist(items: Iterable[object]) -> list[dict[str, Any]]:
    """Checklist items as [{"text", "done"}]; a plain string is an unticked item."""
    if isinstance(items, (str, bytes, dict)):
        raise ValidationError({"checklist": "must be a list of items"})
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        text: object
        if isinstance(item, str):
            text, done = item, False
        elif isinstance(item, dict):
            unknown = set(item) - {"text", "done"}
            if unknown:
                raise ValidationError({f"checklist[{index}]": f"unknown keys: {', '.join(sorted(map(str, unknown)))}"})
            text, done = item.get("text"), item.get("done", False)
            if not isinstance(done, bool):
                raise ValidationError({f"checklist[{index}].done": "must be true or false"})
        else:
            raise ValidationError({f"checklist[{index}]": "must be a text or an object with text and done"})
        if not isinstance(text, str) or not text.strip():
            raise ValidationError({f"checklist[{index}].text": "must not be empty"})
        if len(text.strip()) > 200:
            raise ValidationError({f"checklist[{index}].text": "must be at most 200 characters"})
        cleaned.append({"text": text.strip(), "done": done})
    if len(cleaned) > MAX_CHECKLIST_ITEMS:
        raise ValidationError({"checklist": f"must have at most {MAX_CHECKLIST_ITEMS} items"})
    return cleaned


def _require_open(task: Task, doing: str) -> None:
    if task.status != TaskStatus.OPEN:
        raise ValidationError({"status": f"the task is {task.get_status_display().lower()}; cannot {doing} it"})


def _locked(task: Task) -> Task:
    """The task's row, locked for the rest of the transaction and re-read, so two clicks act once."""
    related = Task.objects.select_related("account", "owner__user")
    return related.select_for_update(of=("self",)).get(pk=task.pk)


def _copy_into(target: Task, source: Task) -> Task:
    for field in Task._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


@transaction.atomic
def task_create(
    *,
    account: Account,
    title: str,
    kind: str,
    due_on: dt.date,
    owner: Member | None = None,
    priority: str = TaskPriority.NORMAL,
    checklist: Iterable[object] = (),
    description: str = "",
    source: str = TaskSource.MANUAL,
    source_ref: str = "",
    actor: Member | None = None,
    via: str = "web",
    escalated_from: Task | None = None,
) -> Task:
    """A new open task on the account; `owner=None` gives it to `default_owner(account)`."""
    if escalated_from is not None and escalated_from.account_id != account.pk:
        raise ValidationError({"escalated_from": "belongs to another account"})
    source_ref = (source_ref or "").strip()
    if len(source_ref) > 200:
        raise ValidationError({"source_ref": "must be at most 200 characters"})
    task = Task(
        workspace_id=account.workspace_id,
        account=account,
        owner=_clean_owner(account, owner),
        kind=_clean_choice("kind", kind, TaskKind),
        priority=_clean_choice("priority", priority, TaskPriority),
        title=_clean_title(title),
        description=(description or "").strip(),
        due_on=_clean_due(due_on),
        checklist=clean_checklist(checklist),
        source=_clean_choice("source", source, TaskSource),
        source_ref=source_ref,
        escalated_from=escalated_from,
        created_by=actor,
    )
    task.save()
    hooks.task_assigned(task, actor)
    return task


@transaction.atomic
def task_update(*, task: Task, actor: Member | None, via: str = "web", **fields: Any) -> Task:
    """Change an open task's title, description, due day, priority, kind, owner or checklist."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: "cannot be changed here" for name in sorted(unknown)})
    current = _locked(task)
    _require_open(current, "edit")
    if "title" in fields:
        current.title = _clean_title(fields["title"])
    if "description" in fields:
        current.description = str(fields["description"] or "").strip()
    if "due_on" in fields:
        current.due_on = _clean_due(fields["due_on"])
    if "priority" in fields:
        current.priority = _clean_choice("priority", fields["priority"], TaskPriority)
    if "kind" in fields:
        current.kind = _clean_choice("kind", fields["kind"], TaskKind)
    previous_owner = current.owner_id
    if "owner" in fields:
        current.owner = _clean_owner(current.account, fields["owner"])
    if "checklist" in fields:
        current.checklist = clean_checklist(fields["checklist"])
    current.save()
    if current.owner_id != previous_owner:
        hooks.task_assigned(current, actor)
    return _copy_into(task, current)


@transaction.atomic
def task_checklist_toggle(*, task: Task, actor: Member | None, index: int, done: bool) -> Task:
    """Tick or untick one checklist item of an open task."""
    current = _locked(task)
    _require_open(current, "tick")
    items = clean_checklist(current.checklist)
    if not isinstance(index, int) or not 0 <= index < len(items):
        raise ValidationError({"index": f"the checklist has no item {index}"})
    items[index]["done"] = bool(done)
    current.checklist = items
    current.save(update_fields=["checklist", "updated_at"])
    return _copy_into(task, current)


@transaction.atomic
def task_complete(
    *,
    task: Task,
    actor: Member | None,
    outcome: str = "",
    log_touchpoint: str | None = None,
    via: str = "web",
) -> Task:
    """Mark an open task done with its outcome; writes the timeline, and a touchpoint when asked.

    `log_touchpoint` is a touchpoint kind (call, meeting, e-mail, note): the call or meeting the task
    was about is then logged on the account with the outcome as its summary.
    """
    if log_touchpoint:
        _clean_choice("log_touchpoint", log_touchpoint, TouchpointKind)
    outcome = (outcome or "").strip()
    current = _locked(task)
    _require_open(current, "complete")
    now = timezone.now()
    current.status = TaskStatus.DONE
    current.outcome = outcome
    current.completed_at = now
    current.completed_by = actor
    current.save()
    touchpoint_id = None
    if log_touchpoint:
        touchpoint = account_services.touchpoint_log(
            account=current.account,
            actor=actor,
            via=via,
            kind=log_touchpoint,
            occurred_at=now,
            summary=f"{current.title}: {outcome}" if outcome else current.title,
            member=actor or current.owner,
        )
        touchpoint_id = touchpoint.pk
    timeline.task_completed_entry(current, actor=actor, via=via, touchpoint_id=touchpoint_id).save()
    return _copy_into(task, current)


@transaction.atomic
def task_cancel(*, task: Task, actor: Member | None, reason: str = "", via: str = "web") -> Task:
    """Drop an open task that no longer needs doing; the reason is kept as its outcome."""
    current = _locked(task)
    _require_open(current, "cancel")
    current.status = TaskStatus.CANCELLED
    current.outcome = (reason or "").strip()
    current.completed_at = timezone.now()
    current.completed_by = actor
    current.save()
    return _copy_into(task, current)


@transaction.atomic
def task_reopen(*, task: Task, actor: Member | None, via: str = "web") -> Task:
    """Open a done or cancelled task again (its timeline entry stays: it was done then)."""
    current = _locked(task)
    if current.status == TaskStatus.OPEN:
        raise ValidationError({"status": "the task is already open"})
    current.status = TaskStatus.OPEN
    current.completed_at = None
    current.completed_by = None
    current.save()
    return _copy_into(task, current)


def tasks_follow_owner(
    *, workspace: Workspace, account_ids: Iterable[int], old_owner: Member, new_owner: Member
) -> int:
    """Open tasks the old owner held on these accounts go to the new owner (a book moved)."""
    return Task.objects.filter(
        workspace=workspace, account_id__in=list(account_ids), owner=old_owner, status=TaskStatus.OPEN
    ).update(owner=new_owner, updated_at=timezone.now())
