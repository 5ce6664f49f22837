"""Spend per period and CSM quotas (the inputs of CAC, CRC and quota attainment), and one CSM's book.

Thin: the writes are retain.metrics.services', the figures retain.metrics.spend's and the engine's,
the renewals retain.renewals.selectors'. Every member reads; managers and admins edit the spend and
the quotas. Every table downloads as CSV on `?format=csv&table=…`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from retain import access
from retain.accounts.selectors import workspace_today
from retain.metrics import charts
from retain.metrics import services as metrics_services
from retain.metrics.models import Quota, Spend
from retain.metrics.spend import BookStanding, book_standing
from retain.renewals import selectors as renewal_selectors
from retain.renewals.models import Renewal
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response
from retain.web.forms import add_service_errors, owner_candidates
from retain.web.forms_revenue import QuotaForm, SpendForm

SPEND_TABLES = ("spend", "quotas")
BOOK_TABLES = ("standing", "renewals", "at_risk")
RENEWAL_HORIZON_DAYS = 90  # seed 002: the renewal process starts 90 days out


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _csv_table(request: HttpRequest, tables: tuple[str, ...]) -> str | None:
    if request.GET.get("format") != "csv":
        return None
    table = request.GET.get("table", "")
    if table not in tables:
        raise Http404(f"no table {table!r}; one of {', '.join(tables)}")
    return table


# Spend and quotas --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@workspace_view
def spend_settings(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    members = list(owner_candidates(workspace))
    spend_form = SpendForm(request.POST if request.POST.get("action") == "spend" else None)
    quota_form = QuotaForm(request.POST if request.POST.get("action") == "quota" else None, members=members)
    status = 200
    if request.method == "POST":
        access.require_manager(member)
        action = request.POST.get("action")
        if action == "delete-spend":
            spend = access.get_for_member(member, Spend.objects.select_related("workspace"), request.POST.get("pk"))
            metrics_services.spend_delete(spend=spend, actor=member)
            return redirect("spend", workspace.slug)
        if action == "delete-quota":
            quota = access.get_for_member(member, Quota.objects.select_related("workspace"), request.POST.get("pk"))
            metrics_services.quota_delete(quota=quota, actor=member)
            return redirect("spend", workspace.slug)
        form: forms.Form = spend_form if request.POST.get("action") == "spend" else quota_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is spend_form:
                    metrics_services.spend_set(workspace=workspace, actor=member, **data)
                else:
                    nrr = data["target_nrr"]
                    metrics_services.quota_set(
                        workspace=workspace,
                        actor=member,
                        member=quota_form.members[data["member"]],
                        period_start=data["period_start"],
                        period_end=data["period_end"],
                        target_nrr=None if nrr is None else Decimal(nrr) / 100,
                        target_arr=data["target_arr"],
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("spend", workspace.slug)
        status = 400
    spend_rows = list(access.scoped(member, Spend.objects.all()).order_by("-period_start", "category"))
    quotas = list(
        access.scoped(member, Quota.objects.select_related("member__user")).order_by("-period_start", "member_id")
    )
    table = _csv_table(request, SPEND_TABLES)
    if table == "spend":
        rows: list[list[Any]] = [["category", "period_start", "period_end", "amount", "currency", "note"]]
        rows += [
            [s.category, s.period_start.isoformat(), s.period_end.isoformat(), s.amount, workspace.currency, s.note]
            for s in spend_rows
        ]
        return csv_response(rows, f"{workspace.slug}-spend.csv")
    if table == "quotas":
        rows = [["csm", "period_start", "period_end", "target_nrr", "target_arr"]]
        rows += [
            [q.member.display_name, q.period_start.isoformat(), q.period_end.isoformat(), q.target_nrr, q.target_arr]
            for q in quotas
        ]
        return csv_response(rows, f"{workspace.slug}-quotas.csv")
    return render(
        request,
        "web/revenue/spend.html",
        {
            "workspace": workspace,
            "spend_rows": spend_rows,
            "quotas": quotas,
            "spend_form": spend_form,
            "quota_form": quota_form,
            "can_edit": member.can_manage,
        },
        status=status,
    )


# One CSM's book ----------------------------------------------------------------------------------


def _standing_csv(owner: Member, standing: BookStanding, currency: str) -> list[list[Any]]:
    """The book's standing as one CSV row under its header."""
    rows: list[list[Any]] = [
        [
            "csm",
            "period_start",
            "period_end",
            "accounts",
            "arr_start",
            "arr_now",
            "target_nrr",
            "target_arr",
            "attainment",
            "currency",
        ],
        [
            owner.display_name,
            standing.period.start.isoformat(),
            standing.period.end.isoformat(),
            standing.accounts,
            standing.arr_start,
            standing.arr_now,
            f"{standing.target_nrr:.4f}",
            standing.target_arr,
            "" if standing.attainment.value is None else f"{standing.attainment.value:.6f}",
            currency,
        ],
    ]
    return rows


def _renewals_csv(due: list[Renewal]) -> list[list[Any]]:
    """The renewals due in the book, one CSV row each."""
    rows: list[list[Any]] = [
        [
            "account", "term_end", "stage", "forecast_category", "target_arr", "forecast_arr",
            "churn_probability", "expected_arr", "health",
        ]
    ]  # fmt: skip
    rows += [
        [
            r.account.name,
            r.term_end.isoformat(),
            r.stage,
            r.forecast_category,
            r.target_amount,
            _blank(r.forecast_amount),
            _blank(r.expected.probability),  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            _blank(r.expected.amount),  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            r.health_band or "",  # type: ignore[attr-defined]  # annotated onto the queryset's rows
        ]
        for r in due
    ]
    return rows


def _at_risk_csv(at_risk_rows: list[renewal_selectors.AtRisk]) -> list[list[Any]]:
    """The ARR at risk, one CSV row per account."""
    rows: list[list[Any]] = [["account", "reason", "arr", "forecast_arr", "expected_arr", "term_end"]]
    rows += [
        [
            row.account.name,
            row.reason,
            row.arr,
            _blank(row.forecast),
            _blank(row.expected and row.expected.amount),
            row.term_end.isoformat() if row.term_end else "",
        ]
        for row in at_risk_rows
    ]
    return rows


@require_http_methods(["GET"])
@workspace_view
def csm_book(request: HttpRequest, member: Member, member_pk: int) -> HttpResponse:
    workspace = member.workspace
    owner = access.get_member_for_user(member, member_pk)
    today = workspace_today(workspace)
    standing = book_standing(workspace, owner, today)
    due: list[Renewal] = renewal_selectors.with_expectations(
        renewal_selectors.open_renewals(workspace, horizon_days=RENEWAL_HORIZON_DAYS, owner=owner.pk, today=today)
    )
    at_risk_rows = renewal_selectors.book_at_risk(workspace, owner.pk)
    table = _csv_table(request, BOOK_TABLES)
    currency = workspace.currency
    if table is not None:
        name = f"{workspace.slug}-book-{owner.pk}-{table}-{today.isoformat()}.csv"
        if table == "standing":
            rows = _standing_csv(owner, standing, currency)
        elif table == "renewals":
            rows = _renewals_csv(due)
        else:
            rows = _at_risk_csv(at_risk_rows)
        return csv_response(rows, name)
    return render(
        request,
        "web/revenue/book.html",
        {
            "workspace": workspace,
            "owner": owner,
            "standing": standing,
            "due": due,
            "due_arr": sum((r.target_amount for r in due), Decimal(0)),
            "expected_formula": renewal_selectors.EXPECTED_FORMULA,
            "at_risk": at_risk_rows,
            "at_risk_arr": renewal_selectors.at_risk_arr(at_risk_rows),
            "at_risk_note": renewal_selectors.AT_RISK_NOTE,
            "horizon": RENEWAL_HORIZON_DAYS,
            "currency": currency,
            "today": today,
            "book_spec": charts.book_spec(standing, currency),
            "csv": {name: f"?format=csv&table={name}" for name in BOOK_TABLES},
            "can_edit_quota": member.can_manage,
        },
    )
