"""Work that apps built on tasks do when a task gets an owner, registered at start-up.

`tasks` sits low in the import order (docs/architecture.md) and never imports the apps above it:
the team app registers a handler here from its `AppConfig.ready` to tell the new owner (and, for an
escalation, the escalated task's owner). Handlers run inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retain.tasks.models import Task
    from retain.tenancy.models import Member

TaskAssignedHandler = Callable[["Task", "Member | None"], object]

_TASK_ASSIGNED: list[TaskAssignedHandler] = []


def task_assigned_handler_register(handler: TaskAssignedHandler) -> None:
    """`handler(task, actor)` runs when a task is created with an owner or given another owner."""
    if handler not in _TASK_ASSIGNED:
        _TASK_ASSIGNED.append(handler)


def task_assigned(task: Task, actor: Member | None) -> None:
    if task.owner_id is None:
        return
    for handler in _TASK_ASSIGNED:
        handler(task, actor)
