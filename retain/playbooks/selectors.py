"""Reads about playbooks that other pages show."""

from __future__ import annotations

from collections.abc import Iterable

from retain.playbooks.models import Playbook
from retain.tasks.models import Task


def playbook_names(workspace_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The current name of each playbook key, for showing where playbook-made tasks came from."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    rows = Playbook.objects.filter(workspace_id=workspace_id, key__in=wanted, is_current=True).values_list(
        "key", "name"
    )
    return dict(rows)


def with_playbook_names(workspace_id: int, tasks: Iterable[Task]) -> list[Task]:
    """The tasks, each given `playbook_name` (its playbook's current name, else its key; "" for manual)."""
    rows = list(tasks)
    names = playbook_names(workspace_id, (task.playbook_key for task in rows))
    for task in rows:
        task.playbook_name = names.get(task.playbook_key, task.playbook_key)  # type: ignore[attr-defined]
    return rows
