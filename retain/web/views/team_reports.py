"""The team's reports: education (per account, and the workspace's sessions with the attendee CSV
import), time in stage, and portfolio targets with progress and trend.

Thin: reads through team.education, team.stages and team.targets; writes through their services;
objects through retain.access (outsiders 404). Importing attendees needs write access; targets are
set by managers and admins (others 403). Each page answers `?format=csv` with its table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from retain import access
from retain.accounts.choices import Stage, Tier
from retain.accounts.selectors import workspace_today
from retain.lib.definitions import DefinitionError
from retain.reports.selectors import qbr_coverage
from retain.team import education, stages, targets
from retain.team.choices import LearningKind, TargetFigure
from retain.team.models import PortfolioTarget
from retain.tenancy.models import Member, Workspace
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_DAYS = 180


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


# QBR coverage (issue 16): the health page's selector, shown on the team page too ----------------


def qbr_context(workspace: Workspace) -> dict[str, Any]:
    """What web/partials/qbr_coverage.html needs: per CSM and tier, and the overdue customers."""
    coverage = qbr_coverage(workspace, today=workspace_today(workspace))
    overall = coverage.overall
    return {
        "workspace": workspace,
        "qbr_coverage": coverage,
        "qbr_overall": {
            "key": "coverage",
            "label": "QBR coverage",
            "display": "—" if overall.value is None else f"{overall.value:.0f}%",
            "figure": overall,
            "inputs": list(overall.inputs.items()),
        },
    }


# Education ---------------------------------------------------------------------------------------


class AttendeesForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns email, session, kind, date (YYYY-MM-DD)")


@require_GET
@workspace_view
def account_education(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """One account's education: trainings attended, people trained, knowledge-base views, the rows."""
    account = access.get_account_for_user(member, pk)
    today = workspace_today(member.workspace)
    if request.GET.get("format") == "csv":
        rows: list[list[object]] = [["day", "kind", "session", "person", "contact", "source"]]
        rows += [
            [r.day, r.kind, r.session, r.person, r.contact.email if r.contact else "", r.source]
            for r in education.workspace_learnings(member.workspace, account=account)
        ]
        return csv_response(rows, f"{member.workspace.slug}-education-{account.pk}-{today.isoformat()}.csv")
    data = education.account_education(account, today=today)
    cards = [
        {
            "key": key,
            "label": label,
            "display": "—"
            if f.value is None
            else (f"{f.value:.0f}%" if key == education.TRAINED else f"{f.value:.0f}"),
            "figure": f,
            "inputs": list(f.inputs.items()),
        }
        for key, label, f in data.figures
    ]
    return render(request, "web/team/account_education.html", {"account": account, "data": data, "cards": cards})


@require_http_methods(["GET", "POST"])
@workspace_view
def team_education(request: HttpRequest, member: Member) -> HttpResponse:
    """The workspace's training sessions, webinars and bootcamps of the last 180 days, with attendees,
    and the attendee CSV import (all rows or none; problems as file:line:column)."""
    workspace = member.workspace
    today = workspace_today(workspace)
    if request.GET.get("format") == "csv":
        rows: list[list[object]] = [["day", "account", "kind", "session", "person", "contact", "source"]]
        rows += [
            [r.day, r.account.name, r.kind, r.session, r.person, r.contact.email if r.contact else "", r.source]
            for r in education.workspace_learnings(workspace, kind=request.GET.get("kind") or None)
        ]
        return csv_response(rows, f"{workspace.slug}-education-{today.isoformat()}.csv")
    form = AttendeesForm()
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        access.require_write(member)
        form = AttendeesForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD_BYTES:
                problems = [f"file: larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB"]
            else:
                try:
                    text = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    problems = ["file: not UTF-8 text"]
                else:
                    try:
                        result = education.attendees_import(
                            workspace=workspace, actor=member, text=text, filename=upload.name or "attendees.csv"
                        )
                    except DefinitionError as error:
                        problems = error.lines
                    else:
                        messages.success(
                            request,
                            f"Imported {result.rows} row{'s' if result.rows != 1 else ''}: {result.created} new, "
                            f"{result.unchanged} already there, {result.accounts} account"
                            f"{'s' if result.accounts != 1 else ''}.",
                        )
                        return redirect("team-education", workspace.slug)
        else:
            problems = [f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()]
        status = 400
    since = today - dt.timedelta(days=SESSION_DAYS)
    return render(
        request,
        "web/team/education.html",
        {
            "form": form,
            "problems": problems,
            "sessions": education.attendance_by_session(workspace, since=since),
            "since": since,
            "can_import": member.can_write,
            "vocabulary": sorted(education.EVENT_KINDS.items()),
            "kinds": LearningKind.choices,
        },
        status=status,
    )


# Time in stage -----------------------------------------------------------------------------------


@require_GET
@workspace_view
def time_in_stage(request: HttpRequest, member: Member) -> HttpResponse:
    """Accounts by lifecycle stage and tier: median and p75 days in stage against the expected days;
    the accounts over it."""
    workspace = member.workspace
    today = workspace_today(workspace)
    report = stages.time_in_stage(workspace, today=today)
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "over":
            rows: list[list[object]] = [
                ["account", "tier", "stage", "owner", "entered_on", "days_in_stage", "expected_days", "over_by"]
            ]
            rows += [
                [r.name, r.tier, r.stage, r.owner, r.entered_on, r.days, r.expected, r.over_by] for r in report.over
            ]
        else:
            rows = [["stage", "tier", "accounts", "known", "median_days", "p75_days", "expected_days", "over_expected"]]
            rows += [[c.stage, c.tier, c.accounts, c.known, c.median, c.p75, c.expected, c.over] for c in report.cells]
        return csv_response(rows, f"{workspace.slug}-time-in-stage-{today.isoformat()}.csv")
    grid = [
        {"stage": stage, "label": Stage(stage).label, "cells": [report.cell(stage, tier) for tier in Tier.values]}
        for stage in stages.LIVE_STAGES
    ]
    return render(
        request,
        "web/team/time_in_stage.html",
        {
            "report": report,
            "grid": grid,
            "tiers": Tier.choices,
            "expected": report.expected,
            "rule": stages.MEDIAN_RULE,
        },
    )


# Targets -----------------------------------------------------------------------------------------


class TargetForm(forms.Form):
    figure = forms.ChoiceField(choices=TargetFigure.choices)
    target = forms.CharField(max_length=12, help_text="in %, e.g. 25")
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.CharField(max_length=12, required=False, help_text="in %; empty: the figure's value today")
    note = forms.CharField(max_length=300, required=False)


CHART_W, CHART_H, CHART_L, CHART_B, CHART_T = 560, 180, 44, 24, 12


def trend_chart(view: targets.TargetView) -> dict[str, Any]:
    """A line of the figure's weekly points with the target as a dashed line (server-drawn SVG)."""
    points = [p for p in view.history if p.value is not None]
    values = [p.value for p in points if p.value is not None] + [view.target.target_value]
    if view.target.start_value is not None:
        values.append(view.target.start_value)
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or 0.05
    low, high = max(low - pad, 0.0), high + pad
    plot_w, plot_h = CHART_W - CHART_L - 8, CHART_H - CHART_T - CHART_B
    count = max(len(view.history) - 1, 1)

    def y(value: float) -> float:
        return round(CHART_T + plot_h * (1 - (value - low) / (high - low)), 1)

    xy = []
    for index, point in enumerate(view.history):
        if point.value is None:
            continue
        xy.append({"x": round(CHART_L + plot_w * index / count, 1), "y": y(point.value), "point": point,
                   "label": _pct(point.value)})  # fmt: skip
    ticks = [{"y": y(v), "label": _pct(v, 0)} for v in (low, (low + high) / 2, high)]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "left": CHART_L,
        "right": CHART_W - 8,
        "bottom": CHART_H - CHART_B,
        "line": " ".join(f"{p['x']},{p['y']}" for p in xy),
        "points": xy,
        "target_y": y(view.target.target_value),
        "ticks": ticks,
        "first": view.history[0].day if view.history else None,
        "last": view.history[-1].day if view.history else None,
    }


def _target_rows(views: Sequence[targets.TargetView]) -> list[dict[str, Any]]:
    rows = []
    for v in views:
        t = v.target
        rows.append(
            {
                "view": v,
                "target": t,
                "start": _pct(t.start_value),
                "current": _pct(v.current.value),
                "goal": _pct(t.target_value),
                "expected": _pct(v.expected),
                "progress": "—" if v.progress is None else f"{v.progress:.0f}%",
                "bar": 0 if v.progress is None else max(0, min(100, round(v.progress))),
                "chart": trend_chart(v),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@workspace_view
def portfolio_targets(request: HttpRequest, member: Member) -> HttpResponse:
    """Targets on portfolio figures: start, current, target, % of the way and the weekly trend; managers
    set and remove them."""
    workspace = member.workspace
    today = workspace_today(workspace)
    form = TargetForm(initial={"figure": TargetFigure.UNHEALTHY_SHARE})
    error = ""
    if request.method == "POST":
        access.require_manager(member)
        if request.POST.get("action") == "delete":
            raw = str(request.POST.get("target", ""))
            target = PortfolioTarget.objects.filter(workspace=workspace, pk=int(raw)).first() if raw.isdigit() else None
            if target is None:
                error = "target: no such target in this workspace"
            else:
                targets.target_delete(target=target, actor=member)
                messages.success(request, f"Target on {target.get_figure_display()} removed.")
                return redirect("team-targets", workspace.slug)
        else:
            form = TargetForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    saved = targets.target_set(
                        workspace=workspace,
                        actor=member,
                        figure=data["figure"],
                        target_pct=data["target"],
                        due_on=data["due_on"],
                        today=today,
                        note=data["note"],
                        start_pct=data["start"],
                    )
                except ValidationError as exc:
                    error = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                else:
                    messages.success(request, f"Target on {saved.get_figure_display()} saved.")
                    return redirect("team-targets", workspace.slug)
            else:
                error = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
    weeks = 0 if request.GET.get("format") == "csv" and request.GET.get("table") != "trend" else targets.TREND_WEEKS
    views = targets.workspace_targets(workspace, today=today, weeks=weeks)
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "trend":
            rows: list[list[object]] = [["figure", "day", "value"]]
            rows += [
                [v.target.figure, p.day, "" if p.value is None else round(p.value, 6)] for v in views for p in v.history
            ]
        else:
            rows = [["figure", "start_on", "start", "current", "target", "due_on", "progress_pct", "expected_now",
                     "on_track", "formula", "worked"]]  # fmt: skip
            rows += [
                [v.target.figure, v.target.start_on, v.target.start_value, v.current.value, v.target.target_value,
                 v.target.due_on, None if v.progress is None else round(v.progress, 1), v.expected, v.on_track,
                 v.current.formula, v.current.worked]
                for v in views
            ]  # fmt: skip
        return csv_response(rows, f"{workspace.slug}-targets-{today.isoformat()}.csv")
    return render(
        request,
        "web/team/targets.html",
        {"rows": _target_rows(views), "form": form, "error": error, "can_manage": member.can_manage, "today": today},
        status=400 if error else 200,
    )
