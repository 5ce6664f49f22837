"""Journeys on the web: the board, the metrics, the barriers report, template versions, and the
account page's milestone ticks, barriers and lifecycle moves.

Thin: access through retain.access, reads through journeys.selectors and journeys.metrics, writes
through journeys.services. The board reads a fixed number of queries whatever the page size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.choices import Stage
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.journeys import metrics, selectors, services
from retain.journeys.choices import BarrierKind, MilestoneStatus
from retain.journeys.formulas import cohort_quarter, milestones_diff, quarter_of
from retain.journeys.models import Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.selectors import account_journey
from retain.journeys.templates import parse_milestones
from retain.lib.columns import parse_whole
from retain.lib.definitions import DefinitionError, Problem
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_stream
from retain.web.forms import owner_candidates
from retain.web.forms_journeys import BoardForm, PeriodForm
from retain.web.views.accounts import in_workspace_time

PAGE_SIZE = 50
VIA = "web"

# How a status chip looks: a colour band plus its words, so colour is never the only signal.
STATUS_BAND = {
    MilestoneStatus.NOT_STARTED: "",
    MilestoneStatus.ON_TRACK: "band-green",
    MilestoneStatus.DONE: "band-green",
    MilestoneStatus.BEHIND: "band-yellow",
    MilestoneStatus.DONE_LATE: "band-yellow",
    MilestoneStatus.STUCK: "band-red",
    MilestoneStatus.CLOSED: "",
}
STATUS_LABELS = dict(MilestoneStatus.choices)


def _account_url(account: Account) -> str:
    return reverse("account", args=[account.workspace.slug, account.pk]) + "#journey"


def _problems(what: str, error: ValidationError) -> str:
    """ "Barrier not added: owner: give one owner…", naming each field the service refused."""
    if hasattr(error, "error_dict"):
        problems = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items())
    else:
        problems = " ".join(error.messages)
    return f"{what}: {problems}"


# The board -------------------------------------------------------------------------------------------


def _board_journeys(request: HttpRequest, member: Member) -> tuple[BoardForm, QuerySet[Journey]]:
    form = BoardForm(request.GET, member=member)
    if not form.is_valid():
        return form, Journey.objects.none()
    journeys = selectors.board_journeys(member.workspace, **form.filters())
    return form, journeys.prefetch_related(Prefetch("progress", queryset=MilestoneProgress.objects.order_by("order")))


def _cell(progress: MilestoneProgress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    title = f"Due {progress.due_on:%Y-%m-%d}"
    if progress.completed_on:
        title += f"; completed {progress.completed_on:%Y-%m-%d}"
    return {
        "status": progress.status,
        "label": STATUS_LABELS[progress.status],
        "band": STATUS_BAND.get(MilestoneStatus(progress.status), ""),
        "title": title,
    }


def _board_tables(
    journeys: list[Journey], current: dict[str, JourneyTemplate], counts: dict[tuple[str, str], dict[str, int]]
) -> list[dict[str, Any]]:
    """One table per template key: columns are the current version's milestones."""
    tables: list[dict[str, Any]] = []
    for journey in journeys:
        key = journey.template.key
        if not tables or tables[-1]["key"] != key:
            template = current.get(key, journey.template)
            columns = [
                {
                    "key": m["key"],
                    "name": m["name"],
                    "counts": [
                        {"status": s, "label": STATUS_LABELS[s], "band": STATUS_BAND[s], "n": n}
                        for s in MilestoneStatus
                        if (n := counts.get((key, m["key"]), {}).get(s, 0))
                    ],
                }
                for m in template.milestones
            ]
            tables.append({"key": key, "name": template.name, "columns": columns, "rows": []})
        by_key = {progress.key: progress for progress in journey.progress.all()}
        tables[-1]["rows"].append(
            {
                "journey": journey,
                "account": journey.account,
                "cells": [_cell(by_key.get(column["key"])) for column in tables[-1]["columns"]],
            }
        )
    return tables


@require_GET
@workspace_view
@in_workspace_time
def journey_board(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    form, journeys = _board_journeys(request, member)
    page = Paginator(journeys, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.board_status_counts(journeys) if form.is_valid() else {}
    tables = _board_tables(list(page.object_list), selectors.current_templates(workspace), counts)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "workspace": workspace,
        "form": form,
        "page": page,
        "tables": tables,
        "query": query.urlencode(),
        "today": workspace_today(workspace),
        "this_quarter": cohort_quarter(workspace_today(workspace)),
    }
    return render(request, "web/journeys/board.html", context)


BOARD_CSV_HEADER = [
    "account", "tier", "owner", "template", "version", "started_on", "milestone", "due_on", "status", "completed_on",
    "evidence",
]  # fmt: skip


@require_GET
@workspace_view  # type: ignore[arg-type]  # a streamed CSV is a response too
@in_workspace_time
def journey_board_csv(request: HttpRequest, member: Member) -> HttpResponseBase:
    form, journeys = _board_journeys(request, member)
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items())
        return HttpResponseBadRequest(problems, content_type="text/plain; charset=utf-8")

    def rows() -> Iterator[list[Any]]:
        yield BOARD_CSV_HEADER
        for journey in journeys.iterator(chunk_size=500):
            account = journey.account
            yield from (
                [
                    account.name,
                    account.tier,
                    account.owner.display_name if account.owner else "",
                    journey.template.key,
                    journey.template.version,
                    journey.started_on.isoformat(),
                    progress.name,
                    progress.due_on.isoformat(),
                    progress.status,
                    progress.completed_on.isoformat() if progress.completed_on else "",
                    progress.evidence.get("summary", ""),
                ]
                for progress in journey.progress.all()
            )

    return csv_stream(rows(), "journeys.csv")


# Metrics and barriers ----------------------------------------------------------------------------------


@require_GET
@workspace_view
@in_workspace_time
def journey_metrics(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = workspace_today(workspace)
    rates = metrics.milestone_rates(workspace, today=today)
    ttv = metrics.time_to_value(workspace)
    by_template: dict[str, list[metrics.MilestoneRates]] = {}
    for rate in rates:
        by_template.setdefault(rate.template_name, []).append(rate)
    context = {
        "workspace": workspace,
        "today": today,
        "ttv_rows": [
            ("All journeys", [ttv.overall] if ttv.overall.n else []),
            ("By cohort (start month)", ttv.by_cohort),
            ("By tier", ttv.by_tier),
        ],
        "rates": by_template,
        "engagement": metrics.engagement_retention(workspace, today=today),
    }
    return render(request, "web/journeys/metrics.html", context)


@require_GET
@workspace_view
@in_workspace_time
def journey_barriers(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = workspace_today(workspace)
    first, last = quarter_of(today)
    form = PeriodForm(request.GET or None, initial={"since": first, "until": last})
    since, until = first, last
    if form.is_bound and form.is_valid():
        since = form.cleaned_data["since"] or first
        until = form.cleaned_data["until"] or last
    report = selectors.barriers_report(workspace, since=since, until=until) if not form.errors else []
    kinds: dict[str, list[selectors.BarrierCount]] = {}
    for row in report:
        kinds.setdefault(row.kind, []).append(row)
    sections = [{"kind": kind, "label": label, "rows": kinds.get(kind, [])} for kind, label in BarrierKind.choices]
    context = {"workspace": workspace, "form": form, "since": since, "until": until, "sections": sections}
    return render(request, "web/journeys/barriers.html", context)


# Template versions ----------------------------------------------------------------------------------


@require_GET
@workspace_view
@in_workspace_time
def journey_templates(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "workspace": member.workspace,
        "versions": selectors.template_versions(member.workspace),
        "can_publish": member.can_manage,
    }
    return render(request, "web/journeys/templates.html", context)


def _yaml_dump(milestones: list[dict[str, Any]]) -> str:
    return str(yaml.safe_dump(milestones, sort_keys=False, allow_unicode=True, width=100))


def _parse_milestones(text: str) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """The cleaned milestones, or the problems, each naming where it is."""
    try:
        return parse_milestones(text), []
    except DefinitionError as error:
        return None, [_where(problem) for problem in error.problems]


def _where(problem: Problem) -> str:
    place = f"line {problem.line}, column {problem.column}: " if problem.line is not None else ""
    return f"{place}{problem.path}: {problem.message}" if problem.path else f"{place}{problem.message}"


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def journey_template_publish(request: HttpRequest, member: Member, key: str) -> HttpResponse:
    template = access.get_rw_current_journey_template_for_user(member, key)
    text = request.POST.get("milestones", "") if request.method == "POST" else _yaml_dump(template.milestones)
    problems: list[str] = []
    changes: list[dict[str, Any]] | None = None
    if request.method == "POST":
        cleaned, problems = _parse_milestones(text)
        if cleaned is not None:
            changes = milestones_diff(template.milestones, cleaned)
            if request.POST.get("action") == "publish":
                if all(change["change"] == "same" for change in changes):
                    problems = ["milestones: nothing changed; a new version would be the same as the current one"]
                else:
                    try:
                        published = services.template_publish(
                            workspace=member.workspace,
                            key=template.key,
                            name=template.name,
                            milestones=cleaned,
                            applies_to=template.applies_to,
                            priority=template.priority,
                            actor=member,
                        )
                    except ValidationError as error:
                        problems = [f"{f}: {' '.join(t)}" for f, t in error.message_dict.items()]
                    else:
                        messages.success(
                            request,
                            f"{published.name} v{published.version} published; journeys under way keep their version.",
                        )
                        return redirect(reverse("journey-templates", args=[member.workspace.slug]))
    context = {
        "workspace": member.workspace,
        "template": template,
        "text": text,
        "problems": problems,
        "changes": changes,
    }
    return render(request, "web/journeys/template_publish.html", context, status=400 if problems else 200)


# The account page's journey panel: ticks, barriers, lifecycle -------------------------------------------


def _answer(
    request: HttpRequest, member: Member, account: Account, *, notice: str = "", problem: str = ""
) -> HttpResponse:
    """htmx gets the journey panel again, with the notice or problem in it; a plain form post gets the
    message and a redirect to the account page's journey panel."""
    if getattr(request, "htmx", False):
        journey, milestones = account_journey(account)
        context = {
            "account": account,
            "workspace": member.workspace,
            "journey": journey,
            "journey_milestones": milestones,
            "can_edit": access.can_edit_account(member, account),
            "journey_notice": notice,
            "journey_problem": problem,
        }
        return render(request, "web/partials/account_journey.html", context)
    if problem:
        messages.error(request, problem)
    elif notice:
        messages.success(request, notice)
    return redirect(_account_url(account))


@require_POST
@workspace_view
@in_workspace_time
def milestone_tick(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    progress = access.get_rw_milestone_progress_for_user(member, pk)
    item = request.POST.get("item", "")
    ticked = request.POST.get("ticked", "1") not in ("0", "false", "")
    try:
        services.milestone_tick(progress=progress, item=item, actor=member, ticked=ticked)
    except ValidationError as error:
        return _answer(request, member, progress.account, problem=_problems(f"{progress.name} not changed", error))
    return _answer(request, member, progress.account, notice=f"{item}: {'ticked' if ticked else 'unticked'}.")


@require_POST
@workspace_view
@in_workspace_time
def barrier_add(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    progress = access.get_rw_milestone_progress_for_user(member, pk)
    kind_, _, owner_pk = request.POST.get("owner", "").partition(":")
    owner = owner_contact = None
    if kind_ == "member":
        owner = owner_candidates(member.workspace).filter(pk=parse_whole(owner_pk) or 0).first()
    elif kind_ == "contact":
        owner_contact = progress.account.contacts.filter(pk=parse_whole(owner_pk) or 0).first()
    try:
        services.barrier_add(
            progress=progress,
            kind=request.POST.get("kind", ""),
            title=request.POST.get("title", ""),
            note=request.POST.get("note", "").strip(),
            owner=owner,
            owner_contact=owner_contact,
            actor=member,
            via=VIA,
        )
    except ValidationError as error:
        return _answer(request, member, progress.account, problem=_problems("Barrier not added", error))
    return _answer(request, member, progress.account, notice=f"Barrier added to {progress.name}.")


@require_POST
@workspace_view
@in_workspace_time
def barrier_resolve(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    barrier = access.get_rw_barrier_for_user(member, pk)
    try:
        services.barrier_resolve(barrier=barrier)
    except ValidationError as error:
        return _answer(request, member, barrier.account, problem=_problems("Barrier not resolved", error))
    return _answer(request, member, barrier.account, notice=f"{barrier.title}: resolved.")


@require_POST
@workspace_view
@in_workspace_time
def lifecycle_move(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    account = access.get_rw_account_for_user(member, pk)
    stage = request.POST.get("stage", "")
    try:
        moved = services.lifecycle_move(
            account=account, actor=member, stage=stage, reason=request.POST.get("reason", ""), via=VIA
        )
    except ValidationError as error:
        return _answer(request, member, account, problem=_problems("Stage not changed", error))
    label = dict(Stage.choices).get(stage, stage)
    return _answer(request, member, account, notice=f"Moved to {label}." if moved else f"Already in {label}.")
