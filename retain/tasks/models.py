"""Calls to action: the work a CSM owes an account, made by hand or by a playbook."""

from __future__ import annotations

from typing import Any

from django.db import models

from retain.accounts.models import Account
from retain.tasks.choices import TaskKind, TaskPriority, TaskSource, TaskStatus
from retain.tenancy.models import Member, Workspace


class Task(models.Model):
    """One thing to do for an account by a day, with an optional checklist and an outcome once done.

    `checklist` is a list of {"text": str, "done": bool}. `source_ref` says which playbook run made
    the task (e.g. "playbook:health-red/enrollment:123"); `escalated_from` links an escalation task to
    the task that stayed open too long.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tasks")
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    kind = models.CharField(max_length=16, choices=TaskKind.choices, default=TaskKind.OTHER)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    checklist = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=TaskSource.choices, default=TaskSource.MANUAL)
    source_ref = models.CharField(max_length=200, blank=True)
    outcome = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    escalated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="escalations"
    )
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "owner", "status", "due_on"], name="task_ws_owner_status_due"),
            models.Index(fields=["account", "status", "due_on"], name="task_account_status_due"),
        ]
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def from_playbook(self) -> bool:
        return self.source == TaskSource.PLAYBOOK

    @property
    def playbook_key(self) -> str:
        """The playbook named by source_ref ("playbook:<key>/..."), or "" for a manual task."""
        ref = self.source_ref
        if not ref.startswith("playbook:"):
            return ""
        return ref.removeprefix("playbook:").split("/", 1)[0]

    @property
    def checklist_done(self) -> int:
        return sum(1 for item in self.checklist if isinstance(item, dict) and item.get("done"))

    def checklist_items(self) -> list[dict[str, Any]]:
        return [dict(item) for item in self.checklist if isinstance(item, dict)]
