"""Warehouse pages: connections, measures defined as SQL (with a preview), and every run's record.

Admins only: a connection reaches a database outside Retain and a measure runs SQL there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseRun
from retain.health.warehouse.connect import dialect_label
from retain.health.warehouse.export import health_export
from retain.health.warehouse.runs import PREVIEW_ROWS, Preview, connection_test, measure_preview, measure_run
from retain.health.warehouse.services import connection_save, measure_save
from retain.tenancy import access
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_warehouse import ConnectionForm, MeasureForm
from retain.web.views.accounts import in_workspace_time
from retain.web.views.jobs import duration_text

RECENT_RUNS = 30


def _with_durations(runs: Iterable[WarehouseRun]) -> list[tuple[WarehouseRun, str]]:
    return [(run, duration_text(run.finished_at - run.started_at) if run.finished_at else "") for run in runs]


def _page(request: HttpRequest, member: Member, form: ConnectionForm | None = None, status: int = 200) -> HttpResponse:
    workspace = member.workspace
    connections = list(WarehouseConnection.objects.filter(workspace=workspace))
    context: dict[str, Any] = {
        "connections": [(c, dialect_label(c.url)) for c in connections],
        "measures": WarehouseMeasure.objects.filter(workspace=workspace).select_related("connection"),
        "runs": _with_durations(
            WarehouseRun.objects.filter(workspace=workspace).select_related("connection", "measure")[:RECENT_RUNS]
        ),
        "form": form or ConnectionForm(),
    }
    return render(request, "web/admin/warehouse.html", context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def warehouse(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    if request.method == "GET":
        return _page(request, member)
    form = ConnectionForm(request.POST)
    if form.is_valid():
        try:
            connection = connection_save(workspace=member.workspace, actor=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Connection {connection.name} added.")
            return redirect("warehouse", member.workspace.slug)
    return _page(request, member, form, status=400)


@require_POST
@workspace_view
def warehouse_connection(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """Test a connection (SELECT 1) or export health to it now; the outcome is the run record."""
    access.require_admin(member)
    connection = access.get_for_member(member, WarehouseConnection.objects.all(), pk)
    action = request.POST.get("action")
    if action == "test":
        run = connection_test(workspace=member.workspace, connection=connection)
        done = f"Connection {connection.name} answered."
    elif action == "export":
        run = health_export(workspace=member.workspace, connection=connection)
        done = f"{run.rows} rows exported to {connection.export_table or 'retain_account_health'}."
    else:
        return HttpResponseBadRequest("action: must be test or export")
    if run.error:
        messages.error(request, f"{connection.name}: {run.error}")
    else:
        messages.success(request, done)
    return redirect("warehouse", member.workspace.slug)


def _measure_page(
    request: HttpRequest,
    member: Member,
    form: MeasureForm,
    measure: WarehouseMeasure | None,
    preview: Preview | None = None,
    status: int = 200,
) -> HttpResponse:
    runs = _with_durations(measure.runs.select_related("connection")[:RECENT_RUNS]) if measure is not None else []
    context: dict[str, Any] = {
        "form": form,
        "measure": measure,
        "preview": preview,
        "preview_rows": PREVIEW_ROWS,
        "runs": runs,
        "has_connections": WarehouseConnection.objects.filter(workspace=member.workspace).exists(),
    }
    if preview is not None:
        context["preview_matched"] = sum(1 for row in preview.rows if row["matched"])
        context["preview_unmatched"] = len(preview.rows) - context["preview_matched"]
    return render(request, "web/admin/warehouse_measure.html", context, status=status)


def _measure_post(request: HttpRequest, member: Member, measure: WarehouseMeasure | None) -> HttpResponse:
    workspace = member.workspace
    action = request.POST.get("action", "save")
    if action == "run" and measure is not None:
        run = measure_run(workspace=workspace, measure=measure)
        if run.error:
            messages.error(request, f"{measure.key}: {run.error}")
        else:
            messages.success(
                request, f"{measure.key}: {run.rows} rows, {run.matched} matched, {run.unmatched} unmatched."
            )
        return redirect("warehouse-measure", workspace.slug, measure.pk)
    form = MeasureForm(request.POST, workspace=workspace)
    if not form.is_valid():
        return _measure_page(request, member, form, measure, status=400)
    data = dict(form.cleaned_data)
    if action == "preview":
        preview = measure_preview(
            workspace=workspace,
            connection=data["connection"],
            sql=data["sql"],
            match_on=data["match_on"],
            timeout=data["timeout_seconds"] if data["timeout_seconds"] and data["timeout_seconds"] > 0 else 60,
        )
        return _measure_page(request, member, form, measure, preview=preview)
    try:
        saved = measure_save(workspace=workspace, actor=member, data=data, measure=measure)
    except ValidationError as error:
        add_service_errors(form, error)
        return _measure_page(request, member, form, measure, status=400)
    messages.success(request, f"Measure saved: scorecards can use it as {saved.kind}.")
    return redirect("warehouse-measure", workspace.slug, saved.pk)


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def warehouse_measure_new(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    if request.method == "POST":
        return _measure_post(request, member, None)
    return _measure_page(request, member, MeasureForm(workspace=member.workspace), None)


@require_http_methods(["GET", "POST"])
@workspace_view
@in_workspace_time
def warehouse_measure(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    access.require_admin(member)
    measure = access.get_for_member(member, WarehouseMeasure.objects.select_related("connection"), pk)
    if request.method == "POST":
        return _measure_post(request, member, measure)
    form = MeasureForm(initial=MeasureForm.initial_for(measure), workspace=member.workspace)
    return _measure_page(request, member, form, measure)
