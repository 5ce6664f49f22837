"""The revenue dashboard: the ARR waterfall, retention (NRR, GRR, logo churn) by month, eligible
churn and CSM quota attainment, for a period (this month, quarter or year to date, or custom) and
filters (tier, saved segment, CSM).

Thin: every figure comes from retain.metrics.engine with its formula and inputs; the view picks the
period and filters, builds the Vega-Lite specs (rendered by vega-embed from the vendored files, with
the tables as the fallback) and writes each table as CSV on `?format=csv&table=…`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.accounts.choices import Tier
from retain.accounts.figures import Filters, Period
from retain.accounts.models import Segment
from retain.accounts.selectors import workspace_today
from retain.lib.money import format_money
from retain.metrics import engine
from retain.metrics.spend import spend_figures
from retain.tenancy.models import Member, Workspace
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response
from retain.web.forms import owner_candidates
from retain.web.views.accounts import in_workspace_time

PERIODS = [("month", "This month"), ("quarter", "This quarter"), ("year", "This year"), ("custom", "Custom")]
DEFAULT_PERIOD = "quarter"
TABLES = ("figures", "waterfall", "trend", "quota", "spend")
# Axis labels short enough to sit side by side under the waterfall's bars.
CHART_LABELS = {"start": "Start", "end": "End", "other": "Currency/other"}


class RevenueFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tier = forms.ChoiceField(required=False, choices=[("", "All tiers"), *Tier.choices])
    segment = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False, label="CSM")
    target = forms.DecimalField(
        required=False,
        min_value=1,
        max_value=1000,
        decimal_places=1,
        label="Quota target (%)",
        help_text="the net retention a CSM's book should reach; 120% by default (seed 003)",
    )

    def __init__(self, data: Any, *, members: Sequence[Member], segments: Sequence[Segment], today: dt.date) -> None:
        super().__init__(data)
        self.today = today
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "All CSMs"),
            *((str(m.pk), m.display_name) for m in members),
        ]
        cast(forms.ChoiceField, self.fields["segment"]).choices = [
            ("", "All accounts"),
            *((str(s.pk), s.name) for s in segments),
        ]
        self.members = {str(m.pk): m for m in members}
        self.segments = {str(s.pk): s for s in segments}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            if not data.get("start"):
                self.add_error("start", "give the first day of a custom period")
            if not data.get("end"):
                self.add_error("end", "give the last day of a custom period")
            if data.get("start") and data.get("end") and data["end"] < data["start"]:
                self.add_error("end", "must not be before the start")
        return data

    def period_for(self, tz: str) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("period") or DEFAULT_PERIOD
        today = self.today
        if kind == "custom":
            return Period(data["start"], data["end"], tz)
        if kind == "month":
            start = today.replace(day=1)
        elif kind == "year":
            start = dt.date(today.year, 1, 1)
        else:
            start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(start, today, tz)

    def quota_target(self) -> Decimal:
        """The quota target as a share (1.20 for 120%)."""
        value = self.cleaned_data.get("target") if self.is_valid() else None
        return engine.DEFAULT_QUOTA_TARGET if value is None else Decimal(value) / 100

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            tier=data.get("tier") or None,
            segment=self.segments.get(data.get("segment") or ""),
            owner=self.members.get(data.get("owner") or ""),
        )


# Vega-Lite specs (plain dicts; the page renders them with vega-embed) -----------------------------


def waterfall_spec(waterfall: engine.Waterfall, currency: str) -> dict[str, Any]:
    """Floating bars: each step spans from the running total before it to the one after."""
    values = []
    running = Decimal(0)
    for key, label, amount in waterfall.steps():
        if key in ("start", "end"):
            low, high, running = Decimal(0), amount, amount
        else:
            low, high = running, running + amount
            running = high
        values.append(
            {
                "step": CHART_LABELS.get(key, label),
                "kind": key,
                "amount": float(amount),
                "from": float(min(low, high)),
                "to": float(max(low, high)),
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"ARR waterfall in {currency}",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "step", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "from", "type": "quantitative", "title": f"ARR ({currency})"},
            "y2": {"field": "to"},
            "color": {
                "field": "kind",
                "type": "nominal",
                "legend": None,
                "scale": {
                    "domain": ["start", "new", "expansion", "reactivation", "contraction", "churn", "other", "end"],
                    "range": ["#64748b", "#16a34a", "#22c55e", "#4ade80", "#f97316", "#dc2626", "#a1a1aa", "#334155"],
                },
            },
            "tooltip": [
                {"field": "step", "type": "nominal"},
                {"field": "amount", "type": "quantitative", "format": ",.2f"},
            ],
        },
    }


def trend_spec(points: Sequence[engine.TrendPoint]) -> dict[str, Any]:
    values = []
    for point in points:
        for name, figure in (("NRR", point.nrr), ("GRR", point.grr)):
            if figure.value is not None:
                values.append({"month": point.start.isoformat(), "measure": name, "value": figure.value})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": "Net and gross revenue retention by month",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "value", "type": "quantitative", "axis": {"format": "%"}, "title": None},
            "color": {"field": "measure", "type": "nominal", "title": None},
            "tooltip": [
                {"field": "month", "type": "temporal", "timeUnit": "yearmonth"},
                {"field": "measure", "type": "nominal"},
                {"field": "value", "type": "quantitative", "format": ".1%"},
            ],
        },
    }


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
            "waterfall_spec": waterfall_spec(metrics.waterfall, workspace.currency),
            "trend_spec": trend_spec(trend),
        },
    )
