"""Vega-Lite specs of the revenue figures: the ARR waterfall, the retention trend, a tier's cohort
retention curve and a CSM's book. Pure: each takes the figures a selector computed and returns the
spec a page embeds (the table beside each chart holds the same numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from retain.metrics import cohorts, engine
from retain.metrics.spend import BookStanding

# The waterfall's first, last and leftover steps, named for a chart's axis.
CHART_LABELS = {"start": "Start", "end": "End", "other": "Currency/other"}


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


def curve_spec(tier: cohorts.TierRetention, period_name: str) -> dict[str, Any]:
    """Observed and fitted share of a tier's cohorts still active, by period since the start."""
    values = []
    for point in tier.curve:
        for series, share in (("Observed", point.observed), ("Fitted (sBG)", point.fitted)):
            if share is not None:
                values.append({"period": point.period, "series": series, "share": share})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"{tier.label}: share of customers still active by {period_name}",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {
                "field": "period",
                "type": "quantitative",
                "title": f"{period_name.capitalize()}s since start",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "y": {"field": "share", "type": "quantitative", "title": "Still active", "axis": {"format": "%"}},
            "color": {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "top"}},
            "strokeDash": {"field": "series", "type": "nominal", "legend": None},
            "tooltip": [
                {"field": "series", "type": "nominal"},
                {"field": "period", "type": "quantitative"},
                {"field": "share", "type": "quantitative", "format": ".1%"},
            ],
        },
    }


def book_spec(standing: BookStanding, currency: str) -> dict[str, Any]:
    """Three bars: the book's ARR at the period's start, now, and the target."""
    values = [
        {"bar": "Start", "arr": float(standing.arr_start)},
        {"bar": "Now", "arr": float(standing.arr_now)},
        {"bar": "Target", "arr": float(standing.target_arr)},
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": f"Book ARR at start, now and target in {currency}",
        "width": "container",
        "height": 220,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "bar", "type": "nominal", "sort": None, "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "arr", "type": "quantitative", "title": f"ARR ({currency})"},
            "color": {
                "field": "bar",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["Start", "Now", "Target"], "range": ["#64748b", "#2563eb", "#16a34a"]},
            },
            "tooltip": [
                {"field": "bar", "type": "nominal"},
                {"field": "arr", "type": "quantitative", "format": ",.2f"},
            ],
        },
    }
