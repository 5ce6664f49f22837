"""Tasks: my tasks by due day, the team view for managers, one task's page, and the create form.

Everyone in the workspace reads tasks; whoever may edit the account (its CSM, managers, admins) and
the task's own owner work it; the team view is for managers and admins. Completing and ticking
answer htmx with the changed fragment and plain posts with a redirect. Logic lives in retain.tasks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.playbooks import selectors as playbook_selectors
from retain.tasks import selectors, services
from retain.tasks.choices import TaskStatus
from retain.tasks.models import Task
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_tasks import TaskCancelForm, TaskCompleteForm, TaskCreateForm, TaskForm, TeamFilterForm
from retain.web.http import HtmxHttpRequest

VIA = "web"


def _task_url(member: Member, task: Task) -> str:
    return reverse("task", args=[member.workspace.slug, task.pk])


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (a `next` on this site), else to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _row_context(member: Member, task: Task, **extra: Any) -> dict[str, Any]:
    [task] = playbook_selectors.with_playbook_names(member.workspace_id, [task])
    return {
        "task": task,
        "can_edit": access.can_edit_task(member, task),
        "today": selectors.task_today(member.workspace),
        "complete_form": TaskCompleteForm(),
        **extra,
    }


@require_GET
@workspace_view
def my_tasks(request: HttpRequest, member: Member) -> HttpResponse:
    mine = selectors.my_tasks(member)
    everything = [task for _, _, tasks in mine.groups() for task in tasks] + mine.recently_done
    playbook_selectors.with_playbook_names(member.workspace_id, everything)
    context = {
        "mine": mine,
        "today": mine.today,
        "complete_form": TaskCompleteForm(),
        "can_add": member.can_write,
        "can_see_team": member.can_manage,
    }
    return render(request, "web/tasks/mine.html", context)


@require_GET
@workspace_view
def team_tasks(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_manager(member)
    data = request.GET if request.GET else {"status": TaskStatus.OPEN}
    form = TeamFilterForm(data, member=member)
    filters: dict[str, Any] = {}
    if form.is_valid():
        cleaned = form.cleaned_data
        owner = cleaned["owner"]
        filters = {
            "owner": form.owners.get(pk=int(owner)) if owner and owner != "none" else None,
            "unassigned": owner == "none",
            "kind": cleaned["kind"],
            "status": cleaned["status"],
            "source": cleaned["source"],
            "overdue_only": cleaned["overdue"],
        }
    team = selectors.team_tasks(member.workspace, **filters)
    tasks = playbook_selectors.with_playbook_names(member.workspace_id, team.tasks[:500])
    context = {
        "form": form,
        "team": team,
        "tasks": tasks,
        "shown": len(tasks),
        "total": team.tasks.count(),
        "today": team.today,
        "owners": form.owners,
        "selected_owner": str(data.get("owner", "")),
    }
    return render(request, "web/tasks/team.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@workspace_view
def task_new(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_write(member)
    today = selectors.task_today(member.workspace)
    initial: dict[str, Any] = {}
    account_pk = request.POST.get("account") or request.GET.get("account")
    if account_pk:
        # Through the access helper so that an account elsewhere is a 404 and another book's a 403.
        initial["account"] = access.get_rw_account_for_user(member, account_pk)
    form = TaskCreateForm(request.POST or None, member=member, today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        account = data.pop("account")
        try:
            task = services.task_create(account=account, actor=member, via=VIA, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Task added: {task.title}.")
            return _back(request, _task_url(member, task))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "web/tasks/new.html", context, status=400 if form.errors else 200)


def _task_page(
    request: HttpRequest,
    member: Member,
    task: Task,
    *,
    edit_form: TaskForm | None = None,
    complete_form: TaskCompleteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = access.can_edit_task(member, task)
    if edit_form is None and can_edit and task.is_open:
        initial = {
            "title": task.title,
            "kind": task.kind,
            "priority": task.priority,
            "due_on": task.due_on,
            "owner": task.owner_id,
            "description": task.description,
            "checklist": TaskForm.checklist_text(task.checklist_items()),
        }
        edit_form = TaskForm(member=member, initial=initial)
    context = _row_context(
        member,
        task,
        edit_form=edit_form,
        cancel_form=TaskCancelForm(),
        escalations=list(task.escalations.select_related("owner__user")),
    )
    if complete_form is not None:
        context["complete_form"] = complete_form
    return render(request, "web/tasks/task.html", context, status=status)


@require_GET
@workspace_view
def task_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    return _task_page(request, member, access.get_task_for_user(member, pk))


@require_POST
@workspace_view
def task_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    task = access.get_rw_task_for_user(member, pk)
    form = TaskForm(request.POST, member=member)
    if form.is_valid():
        try:
            services.task_update(task=task, actor=member, via=VIA, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Task saved.")
            return redirect(_task_url(member, task))
    return _task_page(request, member, task, edit_form=form, status=400)


@require_POST
@workspace_view
def task_complete(request: HtmxHttpRequest, member: Member, pk: int) -> HttpResponse:
    task = access.get_rw_task_for_user(member, pk)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        try:
            services.task_complete(
                task=task,
                actor=member,
                via=VIA,
                outcome=form.cleaned_data["outcome"],
                log_touchpoint=form.cleaned_data["log_touchpoint"] or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:
                return render(request, "web/tasks/_row.html", _row_context(member, task, just_done=True))
            messages.success(request, f"Done: {task.title}.")
            return _back(request, _task_url(member, task))
    if request.htmx:
        context = _row_context(member, task, complete_form=form, open_complete=True)
        return render(request, "web/tasks/_row.html", context, status=400)
    return _task_page(request, member, task, complete_form=form, status=400)


@require_POST
@workspace_view
def task_check(request: HtmxHttpRequest, member: Member, pk: int, index: int) -> HttpResponse:
    """Tick (done=1) or untick (done=0) one checklist item."""
    task = access.get_rw_task_for_user(member, pk)
    status = 200
    try:
        services.task_checklist_toggle(task=task, actor=member, index=index, done=request.POST.get("done") == "1")
    except ValidationError as error:
        status = 400
        for message in error.messages:
            messages.error(request, message)
    if request.htmx:
        return render(request, "web/tasks/_checklist.html", _row_context(member, task), status=status)
    return _back(request, _task_url(member, task))


@require_POST
@workspace_view
def task_cancel(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    task = access.get_rw_task_for_user(member, pk)
    form = TaskCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.task_cancel(task=task, actor=member, via=VIA, reason=reason)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Cancelled: {task.title}.")
    return redirect(_task_url(member, task))


@require_POST
@workspace_view
def task_reopen(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    task = access.get_rw_task_for_user(member, pk)
    try:
        services.task_reopen(task=task, actor=member, via=VIA)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Reopened: {task.title}.")
    return redirect(_task_url(member, task))
