"""Forms of the task pages: create, edit, complete (with an outcome), cancel, and the team filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet

from retain.accounts.choices import TouchpointKind
from retain.accounts.models import Account
from retain.lib.columns import parse_whole
from retain.tasks.choices import TaskKind, TaskPriority, TaskSource, TaskStatus
from retain.tenancy.models import Member
from retain.web.forms import owner_candidates

DATE = forms.DateInput(attrs={"type": "date"})


class _OwnerField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic in the stubs only; the class takes no type argument
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


def editable_accounts(member: Member) -> QuerySet[Account]:
    """The accounts this member may add tasks to: all of them for managers, a CSM's own book."""
    accounts = Account.objects.filter(workspace_id=member.workspace_id).order_by("name")
    if member.can_manage:
        return accounts
    return accounts.filter(owner=member)


class TaskForm(forms.Form):
    """A task's fields; the checklist is one item per line (a leading "[x] " marks it done)."""

    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=TaskKind.choices, initial=TaskKind.CALL)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    due_on = forms.DateField(widget=DATE, label="Due")
    owner = _OwnerField(queryset=Member.objects.none(), required=False, empty_label="Unassigned")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    checklist = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="one item per line; “[x] ” marks one done"
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ModelChoiceField)
        owner_field.queryset = owner_candidates(member.workspace)

    def clean_checklist(self) -> list[dict[str, Any]]:
        items = []
        for line in str(self.cleaned_data.get("checklist") or "").splitlines():
            text = line.strip()
            if not text:
                continue
            done = text.lower().startswith("[x]")
            if done or text.startswith("[ ]"):
                text = text[3:].strip()
            items.append({"text": text, "done": done})
        return items

    @staticmethod
    def checklist_text(items: list[dict[str, Any]]) -> str:
        return "\n".join(("[x] " if item.get("done") else "") + str(item.get("text", "")) for item in items)


class TaskCreateForm(TaskForm):
    account = forms.ModelChoiceField(queryset=Account.objects.none())

    field_order = ["account", "title", "kind", "priority", "due_on", "owner", "description", "checklist"]

    def __init__(self, *args: Any, member: Member, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("due_on", today)
        kwargs["initial"].setdefault("owner", member.pk if member.can_write else None)
        super().__init__(*args, member=member, **kwargs)
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.ModelChoiceField)
        account_field.queryset = editable_accounts(member)


class TaskCompleteForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="what came of it (goes on the timeline)"
    )
    log_touchpoint = forms.ChoiceField(
        choices=[("", "Don't log a touchpoint"), *TouchpointKind.choices],
        required=False,
        label="Log as touchpoint",
    )


class TaskCancelForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)


class TeamFilterForm(forms.Form):
    owner = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *TaskKind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *TaskStatus.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any source"), *TaskSource.choices], required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = owner_candidates(member.workspace)

    def clean_owner(self) -> str:
        value = str(self.cleaned_data.get("owner") or "")
        pk = parse_whole(value)
        if value and value != "none" and not (pk is not None and self.owners.filter(pk=pk).exists()):
            raise forms.ValidationError("no such member in this workspace")
        return value
