"""The revenue dashboard: the ARR waterfall, retention (NRR, GRR, logo churn) by month, eligible
churn and CSM quota attainment, for a period (this month, quarter or year to date, or custom) and
filters (tier, saved segment, CSM); and customer lifetime value per tier, both ways (retain.metrics.clv),
over the whole history, as the cohort retention page shows it.

Thin: every figure comes from retain.metrics.engine with its formula and inputs; the view picks the
period and filters, builds the Vega-Lite specs (rendered by vega-embed from the vendored files, with
the tables as the fallback) and writes each table as CSV on `?format=csv&table=…`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.accounts.models import Segment
from retain.accounts.selectors import workspace_today
from retain.lib.money import format_money
from retain.metrics import charts, clv, cohorts, engine
from retain.metrics.spend import spend_figures
from retain.tenancy.models import Member, Workspace
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response
from retain.web.forms import owner_candidates
from retain.web.forms_revenue import DEFAULT_PERIOD, RevenueFilterForm
from retain.web.views.accounts import in_workspace_time

TABLES = ("figures", "waterfall", "trend", "quota", "spend", "clv")


# Vega-Lite specs (plain dicts; the page renders them with vega-embed) -----------------------------


# CSV ---------------------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def csv_rows(
    table: str,
    metrics: engine.RevenueMetrics,
    trend: Sequence[engine.TrendPoint],
    quota: Sequence[engine.QuotaRow],
) -> list[list[Any]]:
    if table == "figures":
        rows: list[list[Any]] = [["figure", "value", "formula", "worked"]]
        for _, label, figure in metrics.figures():
            rows.append([label, "" if figure.value is None else figure.value, figure.formula, figure.worked])
        return rows
    if table == "waterfall":
        return [["step", "arr", "currency"]] + [
            [label, amount, metrics.currency] for _, label, amount in metrics.waterfall.steps()
        ]
    if table == "trend":
        rows = [["month_start", "month_end", "nrr", "grr", "logo_churn"]]
        for point in trend:
            rows.append(
                [
                    point.start.isoformat(),
                    point.end.isoformat(),
                    _share(point.nrr.value),
                    _share(point.grr.value),
                    _share(point.logo_churn.value),
                ]
            )
        return rows
    rows = [["csm", "accounts_at_start", "arr_start", "arr_end", "net_retention", "target", "attainment"]]
    for row in quota:
        rows.append(
            [
                row.label,
                row.accounts,
                row.arr_start,
                row.arr_end,
                _share(row.net_retention),
                row.target,
                _share(row.attainment.value),
            ]
        )
    return rows


# The page ----------------------------------------------------------------------------------------


def figure_rows(metrics: engine.RevenueMetrics) -> list[dict[str, Any]]:
    """Each figure with the value as a page shows it: money, NPS points, or a percentage."""
    rows = []
    for key, label, figure in metrics.figures():
        if figure.value is None:
            display = "—"
        elif key.startswith("arr_"):
            display = format_money(Decimal(str(figure.value)), metrics.currency)
        elif key == "nps":
            display = f"{figure.value:.0f}"
        else:
            display = f"{100 * figure.value:.1f}%"
        inputs = [(name.replace("_", " "), value) for name, value in figure.inputs.items()]
        rows.append({"key": key, "label": label, "display": display, "figure": figure, "inputs": inputs})
    return rows


def _lifetimes(workspace: Workspace) -> list[clv.TierClv]:
    return clv.clv_by_tier(cohorts.retention_by_tier(workspace), workspace.currency)


def _form(request: HttpRequest, workspace: Workspace, today: dt.date) -> RevenueFilterForm:
    members = list(owner_candidates(workspace))
    segments = list(Segment.objects.filter(workspace=workspace).order_by("name"))
    # Bound even without a query, with the period the page then shows, so the dropdown shows it too.
    data = request.GET.copy()
    data.setdefault("period", DEFAULT_PERIOD)
    return RevenueFilterForm(data, members=members, segments=segments, today=today)


@require_GET
@workspace_view
@in_workspace_time
def revenue_dashboard(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    today = workspace_today(workspace)
    form = _form(request, workspace, today)
    period = form.period_for(workspace.time_zone)
    filters = form.filters()
    table = request.GET.get("table", "")
    wants_csv = request.GET.get("format") == "csv"
    if wants_csv and table not in TABLES:
        raise Http404(f"no table {table!r}; one of {', '.join(TABLES)}")
    metrics = engine.revenue_metrics(workspace, period, filters)
    trend = engine.retention_trend(workspace, period.end, filters)
    quota = engine.quota_attainment(workspace, period, filters, target=form.quota_target())
    spending = spend_figures(workspace, period, filters, metrics=metrics)
    if wants_csv and table == "spend":
        rows: list[list[Any]] = [["figure", "value", "formula", "worked"]]
        rows += [[label, "" if f.value is None else f.value, f.formula, f.worked] for _, label, f in spending.figures()]
        return csv_response(
            rows, f"{workspace.slug}-revenue-spend-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        )
    lifetimes = [item for item in _lifetimes(workspace) if not filters.tier or item.tier == filters.tier]
    if wants_csv and table == "clv":
        rows = [["tier", "clv", "value", "formula", "worked"]]
        for item in lifetimes:
            rows += [
                [item.tier, key, "" if f.value is None else round(f.value, 2), f.formula, f.worked]
                for key, _, f in item.figures()
            ]
        return csv_response(rows, f"{workspace.slug}-revenue-clv-{today.isoformat()}.csv")
    if wants_csv:
        name = f"{workspace.slug}-revenue-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        return csv_response(csv_rows(table, metrics, trend, quota), name)
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    csv_links = {}
    for name in TABLES:
        query["format"], query["table"] = "csv", name
        csv_links[name] = "?" + query.urlencode()
    return render(
        request,
        "web/revenue/dashboard.html",
        {
            "workspace": workspace,
            "form": form,
            "period": period,
            "filtered": bool(request.GET),
            "metrics": metrics,
            "trend": trend,
            "quota": quota,
            "quota_target_pct": form.quota_target() * 100,
            "period_days": (period.end - period.start).days + 1,
            "figures": figure_rows(metrics),
            "spend_figures": [
                {"key": key, "label": label, "display": spending.display(key), "figure": figure}
                for key, label, figure in spending.figures()
            ],
            "steps": metrics.waterfall.steps(),
            "csv": csv_links,
            "waterfall_spec": charts.waterfall_spec(metrics.waterfall, workspace.currency),
            "trend_spec": charts.trend_spec(trend),
            "lifetimes": lifetimes,
            "clv_note": clv.why_they_differ(),
            "gross_margin": workspace.gross_margin_label,
        },
    )
