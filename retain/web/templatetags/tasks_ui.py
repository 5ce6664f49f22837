"""Tasks on other pages: the count beside "Tasks" in the navigation and the account page's panel."""

from __future__ import annotations

from typing import Any

from django import template

from retain import access
from retain.playbooks import selectors as playbook_selectors
from retain.tasks import selectors
from retain.tasks.choices import TaskKind
from retain.web.forms import owner_candidates

register = template.Library()


@register.simple_tag(takes_context=True)
def my_due_tasks(context: template.Context) -> int:
    """How many of the signed-in member's open tasks are overdue or due today (0 outside a workspace)."""
    member = getattr(context.get("request"), "member", None)
    if member is None:
        return 0
    return selectors.my_due_count(member)


@register.inclusion_tag("web/tasks/_account_panel.html", takes_context=True)
def account_tasks_panel(context: template.Context, account: Any) -> dict[str, Any]:
    request = context["request"]
    member = request.member
    can_edit = access.can_edit_account(member, account)
    tasks = playbook_selectors.with_playbook_names(member.workspace_id, selectors.account_tasks(account))
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "account": account,
        "tasks": tasks,
        "today": selectors.task_today(member.workspace),
        "can_edit": can_edit,
        "kinds": TaskKind.choices,
        "owners": owner_candidates(member.workspace) if can_edit else [],
        "default_owner": account.owner_id or member.pk,
    }
