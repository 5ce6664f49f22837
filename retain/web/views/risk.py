"""Churn risk and cohort retention pages: thin readers of retain.risk and retain.metrics.cohorts.

`risk` lists the accounts by the latest model run's calibrated churn probability with each one's top
reasons (50 a page, sortable, all of them as CSV), and the run's held-out ROC-AUC and calibration
table; when the latest trained model is below the quality gate, it says why and what data is
missing, and lists no account. `retention` shows, per tier, the shifted-beta-geometric curve fitted
to the renewal cohorts beside the observed one (a Vega-Lite chart drawn by charts.js, with the table
as the fallback) and the customer lifetime values of retain.metrics.clv with their difference in words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.metrics import charts, clv, cohorts
from retain.risk import gate, selectors
from retain.risk.models import ChurnRisk
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_stream

RISK_PAGE = 50
RISK_CSV_HEADER = ["account", "tier", "owner", "churn_probability", "top_reasons"]


def _risk_order(request: HttpRequest) -> str:
    order = request.GET.get("sort", selectors.DEFAULT_RISK_ORDER)
    return order if order in selectors.RISK_ORDERS else selectors.DEFAULT_RISK_ORDER


def _reasons_text(reasons: list[dict[str, Any]]) -> str:
    return "; ".join(f"{r['label']} = {r['shown']}" for r in selectors.labelled_reasons(reasons))


@require_GET
@workspace_view
def churn_risk(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    run = selectors.usable_run(workspace)
    trained = selectors.latest_trained_run(workspace)
    gated = trained if trained is not None and trained != run else None
    order = _risk_order(request)
    page = None
    rows = []
    if run is not None:
        page = Paginator(selectors.risks_of_run(run, order), RISK_PAGE).get_page(request.GET.get("page"))
        rows = [{"risk": risk, "reasons": selectors.labelled_reasons(risk.reasons)} for risk in page]
    shown = run or gated
    context = {
        "run": run,
        "gated": gated,
        "shortfalls": selectors.gate_shortfalls(gated) if gated else [],
        "model_run": shown,
        "min_churned_accounts": gate.MIN_CHURNED_ACCOUNTS,
        "min_holdout_auc": gate.MIN_HOLDOUT_AUC,
        "model_label": shown.model.replace("_", " ") if shown else "",
        "latest": selectors.latest_run(workspace),
        "rows": rows,
        "page": page,
        "order": order,
        "columns": [("account", "Account"), ("tier", "Tier"), ("owner", "Owner")],
    }
    return render(request, "web/risk/risk.html", context)


@require_GET
@workspace_view  # type: ignore[arg-type]  # a streamed CSV is a response too
def churn_risk_csv(request: HttpRequest, member: Member) -> HttpResponseBase:
    """Every scored account of the latest run in the page's order, not just one page."""
    run = selectors.usable_run(member.workspace)
    risks = selectors.risks_of_run(run, _risk_order(request)) if run is not None else ChurnRisk.objects.none()

    def rows() -> Iterator[list[Any]]:
        yield RISK_CSV_HEADER
        for risk in risks.iterator(chunk_size=500):
            account = risk.account
            owner = account.owner.display_name if account.owner else ""
            yield [account.name, account.tier, owner, round(risk.probability, 4), _reasons_text(risk.reasons)]

    return csv_stream(rows(), "churn-risk.csv")


@require_GET
@workspace_view
def cohort_retention(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    report = cohorts.retention_by_tier(workspace)
    tiers = [
        {
            "tier": tier,
            "spec": charts.curve_spec(tier, report.period_name) if tier.fit else None,
            "spec_id": f"curve-{tier.tier}",
            "clv": lifetime,
        }
        for tier, lifetime in zip(report.tiers, clv.clv_by_tier(report, workspace.currency), strict=True)
    ]
    context = {
        "report": report,
        "tiers": tiers,
        "gross_margin": workspace.gross_margin_label,
        "clv_note": clv.why_they_differ(),
        "annual_discount": cohorts.ANNUAL_DISCOUNT,
        "yearly_after": cohorts.YEARLY_HISTORY_YEARS,
    }
    return render(request, "web/risk/retention.html", context)
