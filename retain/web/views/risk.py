"""Churn risk and cohort retention pages: thin readers of retain.risk and retain.metrics.cohorts.

`risk` lists the accounts by the latest model run's calibrated churn probability with each one's top
reasons, and the run's held-out ROC-AUC and calibration table. `retention` shows, per tier, the
shifted-beta-geometric curve fitted to the renewal cohorts beside the observed one (a Vega-Lite chart
drawn by charts.js, with the table as the fallback) and the two CLVs with their difference in words.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.metrics import cohorts
from retain.risk import selectors
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view


@require_GET
@workspace_view
def churn_risk(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    run = selectors.latest_successful_run(workspace)
    rows = []
    if run is not None:
        rows = [
            {"risk": risk, "reasons": selectors.labelled_reasons(risk.reasons)} for risk in selectors.risks_of_run(run)
        ]
    context = {
        "run": run,
        "model_label": run.model.replace("_", " ") if run else "",
        "latest": selectors.latest_run(workspace),
        "rows": rows,
    }
    return render(request, "web/risk/risk.html", context)


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


@require_GET
@workspace_view
def cohort_retention(request: HttpRequest, member: Member) -> HttpResponse:
    report = cohorts.retention_by_tier(member.workspace)
    tiers = [
        {
            "tier": tier,
            "spec": curve_spec(tier, report.period_name) if tier.fit else None,
            "spec_id": f"curve-{tier.tier}",
        }
        for tier in report.tiers
    ]
    context = {
        "report": report,
        "tiers": tiers,
        "gross_margin": cohorts.GROSS_MARGIN,
        "annual_discount": cohorts.ANNUAL_DISCOUNT,
        "yearly_after": cohorts.YEARLY_HISTORY_YEARS,
    }
    return render(request, "web/risk/retention.html", context)
