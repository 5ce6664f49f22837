"""Playbooks: the list, one playbook with its preview, simulation and runs, the YAML editor, and an
account's playbook runs with its snooze.

Thin: playbooks come through retain.access (outsiders 404; changing a playbook is for managers
and admins, others 403), reads through playbooks.selectors, previews and simulations through
playbooks.engine.plan (nothing written), writes through playbooks.services.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.selectors import workspace_today
from retain.messaging.templating import VALUES as TEMPLATE_VALUES
from retain.playbooks import selectors, services
from retain.playbooks.choices import EnrollmentStatus
from retain.playbooks.definition import error_lines, parse_yaml
from retain.playbooks.models import Playbook
from retain.tenancy.models import Member, Workspace
from retain.web.decorators import workspace_view
from retain.web.forms_playbooks import PlaybookForm, SimulateForm, SnoozeForm
from retain.web.views.accounts import in_workspace_time

PREVIEW_SHOWN = 200
_LOCATED = re.compile(r"^[^:]*:(\d+):(\d+): (.*)$")

NEW_PLAYBOOK = """\
key: my-playbook
name: My playbook
description: What it is for, in a sentence.
audience:
  tier: [enterprise, strategic]
trigger:
  kind: data
  condition: {attr: health.band, op: eq, value: red}
conditions: {attr: account.status, op: ne, value: churned}
limits: {max: 1, per_days: 30}
steps:
  - task: {title: "Review {{ account.name }}", kind: review, assignee: owner, due_in_days: 2}
"""


@dataclass(frozen=True)
class Issue:
    line: int | None
    column: int | None
    message: str


@dataclass(frozen=True)
class SourceLine:
    number: int
    text: str
    issues: list[str]


def _issues(error: ValidationError) -> list[Issue]:
    issues = []
    for line in error_lines(error, "definition"):
        located = _LOCATED.match(line)
        if located:
            issues.append(Issue(int(located.group(1)), int(located.group(2)), located.group(3)))
        else:
            issues.append(Issue(None, None, line.removeprefix("definition: ")))
    return sorted(issues, key=lambda i: (i.line or 0, i.column or 0))


def _source_lines(text: str, issues: list[Issue]) -> list[SourceLine]:
    by_line: dict[int, list[str]] = {}
    for issue in issues:
        if issue.line is not None:
            by_line.setdefault(issue.line, []).append(issue.message)
    return [SourceLine(n, line, by_line.get(n, [])) for n, line in enumerate(text.splitlines(), start=1)]


def _draft(workspace: Workspace, text: str) -> Playbook:
    """An unsaved playbook from the editor's text (ValidationError when it does not validate)."""
    definition = parse_yaml(text, "definition")
    return Playbook(
        workspace=workspace,
        key=definition["key"],
        name=definition["name"],
        trigger_kind=definition["trigger"]["kind"],
        definition=definition,
        source=text,
    )


def _plan(workspace: Workspace, playbook: Playbook, start: dt.date, end: dt.date, *, dry_run: bool) -> list[Any]:
    from retain.playbooks.engine import plan

    return plan(workspace=workspace, playbooks=[playbook], start=start, end=end, dry_run=dry_run)


def _today_context(workspace: Workspace, playbook: Playbook) -> dict[str, Any]:
    """What a scan would enrol today: the occurrences not enrolled yet that pass every check."""
    today = workspace_today(workspace)
    occurrences = _plan(workspace, playbook, today, today, dry_run=False)
    return {
        "workspace": workspace,
        "today": today,
        "occurrences": occurrences[:PREVIEW_SHOWN],
        "more": max(0, len(occurrences) - PREVIEW_SHOWN),
        "accounts": len({o.account_id for o in occurrences}),
        "count": len(occurrences),
    }


# List and detail -------------------------------------------------------------------------------


@require_GET
@workspace_view
@in_workspace_time
def playbook_list(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "workspace": member.workspace,
        "rows": selectors.current_playbooks(member.workspace),
        "can_manage": member.can_manage,
        "recent_days": selectors.RECENT_DAYS,
    }
    return render(request, "web/playbooks/list.html", context)


@require_GET
@workspace_view
@in_workspace_time
def playbook_detail(request: HttpRequest, member: Member, key: str) -> HttpResponse:
    playbook = access.get_playbook_for_user(member, key)
    workspace = member.workspace
    today = workspace_today(workspace)
    status = request.GET.get("status", "")
    if status not in EnrollmentStatus.values:
        status = ""
    context = {
        "workspace": workspace,
        "playbook": playbook,
        "trigger": selectors.describe_trigger(playbook.definition["trigger"]),
        "steps": _described_steps(playbook),
        "versions": selectors.versions(workspace, key),
        "runs": selectors.playbook_runs(workspace, key, status),
        "status": status,
        "statuses": EnrollmentStatus.choices,
        "simulate_form": SimulateForm(initial={"start": today - dt.timedelta(days=30), "end": today}),
        "can_manage": member.can_manage,
    }
    return render(request, "web/playbooks/detail.html", context)


def _described_steps(playbook: Playbook) -> list[str]:
    from retain.playbooks.definition import describe_step

    return [describe_step(step) for step in playbook.definition["steps"]]


@require_GET
@workspace_view
@in_workspace_time
def playbook_today(request: HttpRequest, member: Member, key: str) -> HttpResponse:
    """The saved playbook's preview for today (loaded by htmx on the playbook's page)."""
    playbook = access.get_playbook_for_user(member, key)
    return render(request, "web/playbooks/_preview.html", _today_context(member.workspace, playbook))


@require_GET
@workspace_view
@in_workspace_time
def playbook_simulate(request: HttpRequest, member: Member, key: str) -> HttpResponse:
    """Replay the playbook over a range of days: who it would have enrolled when, sending nothing."""
    playbook = access.get_playbook_for_user(member, key)
    form = SimulateForm(request.GET)
    context: dict[str, Any] = {"workspace": member.workspace, "playbook": playbook, "form": form}
    status = 200
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        occurrences = _plan(member.workspace, playbook, start, end, dry_run=True)
        context |= {
            "start": start,
            "end": end,
            "occurrences": occurrences[:PREVIEW_SHOWN],
            "more": max(0, len(occurrences) - PREVIEW_SHOWN),
            "count": len(occurrences),
            "accounts": len({o.account_id for o in occurrences}),
            "steps": _described_steps(playbook),
        }
    else:
        status = 400
    template = "web/playbooks/_simulation.html" if getattr(request, "htmx", False) else "web/playbooks/simulate.html"
    return render(request, template, context, status=status)


@require_POST
@workspace_view
def playbook_set_active(request: HttpRequest, member: Member, key: str) -> HttpResponse:
    playbook = access.get_rw_playbook_for_user(member, key)
    active = request.POST.get("active") == "true"
    services.playbook_set_active(playbook=playbook, active=active, actor=member)
    state = "is on: it enrols new occurrences" if active else "is off: no new occurrence will be enrolled"
    messages.success(request, f"{playbook.name} {state}.")
    return redirect(reverse("playbook", args=[member.workspace.slug, playbook.key]))


# Editor ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def playbook_edit(request: HttpRequest, member: Member, key: str | None = None) -> HttpResponse:
    """Edit a playbook's YAML (or write a new one); saving a change makes the next version."""
    access.require_manager(member)
    workspace = member.workspace
    playbook = access.get_rw_playbook_for_user(member, key) if key else None
    initial = playbook.source if playbook else NEW_PLAYBOOK
    form = PlaybookForm(request.POST or None, initial={"definition": initial})
    issues: list[Issue] = []
    text = initial
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["definition"].replace("\r\n", "\n")
        try:
            draft_key = parse_yaml(text, "definition")["key"]
            if playbook is not None and draft_key != playbook.key:
                raise ValidationError({"key": f"stays {playbook.key} when editing; write a new playbook for a new key"})
            saved = services.playbook_save(
                workspace=workspace, definition_yaml=text, actor=member, filename="definition"
            )
        except ValidationError as error:
            issues = _issues(error)
        else:
            unchanged = playbook is not None and saved.pk == playbook.pk
            messages.success(
                request,
                f"{saved.name}: nothing changed." if unchanged else f"{saved.name} saved as version {saved.version}.",
            )
            return redirect(reverse("playbook", args=[workspace.slug, saved.key]))
    context = {
        "workspace": workspace,
        "playbook": playbook,
        "form": form,
        "issues": issues,
        "source_lines": _source_lines(text, issues) if issues else [],
        "template_values": TEMPLATE_VALUES.items(),
    }
    return render(request, "web/playbooks/edit.html", context, status=400 if issues else 200)


@require_POST
@workspace_view
@in_workspace_time
def playbook_preview(request: HttpRequest, member: Member) -> HttpResponse:
    """The editor's Preview (htmx): the draft's problems at their lines, or whom it would enrol today."""
    access.require_manager(member)
    form = PlaybookForm(request.POST)
    if not form.is_valid():
        return render(request, "web/playbooks/_issues.html", {"issues": [Issue(None, None, "the definition is empty")]})
    text = form.cleaned_data["definition"].replace("\r\n", "\n")
    try:
        draft = _draft(member.workspace, text)
    except ValidationError as error:
        issues = _issues(error)
        return render(request, "web/playbooks/_issues.html", {"issues": issues})
    context = _today_context(member.workspace, draft)
    context["draft"] = True
    return render(request, "web/playbooks/_preview.html", context)


# An account's playbooks and its snooze -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def account_playbooks(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """The playbook runs of one account; its owner (or a manager) snoozes them for a while."""
    account = access.get_account_for_user(member, pk)
    today = workspace_today(member.workspace)
    form = SnoozeForm(request.POST or None, initial={"until": today + dt.timedelta(days=14)})
    if request.method == "POST":
        account = access.get_rw_account_for_user(member, pk)
        if request.POST.get("action") == "clear":
            services.snooze_clear(account=account, actor=member)
            messages.success(request, f"Playbooks run again for {account.name}.")
            return redirect(reverse("account-playbooks", args=[member.workspace.slug, account.pk]))
        if form.is_valid():
            until = form.cleaned_data["until"]
            if until < today:
                form.add_error("until", "must be today or later")
            else:
                try:
                    services.snooze_set(account=account, until=until, reason=form.cleaned_data["reason"], actor=member)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, f"No playbook step runs for {account.name} until {until:%Y-%m-%d}.")
                    return redirect(reverse("account-playbooks", args=[member.workspace.slug, account.pk]))
    context = {
        "workspace": member.workspace,
        "account": account,
        "runs": selectors.account_runs(account),
        "snooze": selectors.active_snooze(account, today),
        "form": form,
        "can_edit": access.can_edit_account(member, account),
    }
    return render(request, "web/playbooks/account.html", context, status=400 if form.errors else 200)
