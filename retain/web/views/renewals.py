"""Renewals: the board by forecast category (30 / 90 / 180 days), the at-risk list, one renewal's
page with its update and close forms, the reason-code library, and the board as CSV.

Everyone in the workspace reads; whoever may edit the account (its CSM, managers, admins) works
its renewal; managers edit the reason codes. Logic lives in retain.renewals.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from retain import access
from retain.accounts.choices import Tier
from retain.accounts.selectors import workspace_today
from retain.health.selectors import latest_score
from retain.lib.columns import parse_whole
from retain.renewals import charts, selectors, services
from retain.renewals.models import Renewal
from retain.tenancy.choices import Role
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response
from retain.web.forms import add_service_errors
from retain.web.forms_renewals import ReasonCodeForm, RenewalCloseForm, RenewalUpdateForm

VIA = "web"
DEFAULT_HORIZON = 90
CSV_HEADER = [
    "renewal_id", "account", "account_external_id", "tier", "product", "term_end", "owner", "stage",
    "forecast_category", "target_arr", "forecast_arr", "churn_probability", "expected_arr", "currency",
    "close_date", "health_band", "health_score",
]  # fmt: skip


def _filters(request: HttpRequest) -> dict[str, Any]:
    try:
        horizon = int(request.GET.get("horizon", DEFAULT_HORIZON))
    except ValueError:
        horizon = DEFAULT_HORIZON
    if horizon not in selectors.HORIZONS:
        horizon = DEFAULT_HORIZON
    owner = request.GET.get("owner", "")
    if owner != "none" and parse_whole(owner) is None:
        owner = ""
    tier = request.GET.get("tier", "")
    if tier not in Tier.values:
        tier = ""
    return {"horizon_days": horizon, "owner": owner or None, "tier": tier or None}


def _owners(member: Member) -> Any:
    return (
        access.scoped(member, Member.objects.select_related("user"))
        .filter(is_active=True)
        .exclude(role=Role.VIEWER)
        .order_by("user__first_name", "user__email")
    )


@require_GET
@workspace_view
def renewal_board(request: HttpRequest, member: Member) -> HttpResponse:
    filters = _filters(request)
    board = selectors.board(member.workspace, **filters)
    context = {
        "board": board,
        "board_spec": charts.board_spec(board, member.workspace.currency),
        "formula": selectors.EXPECTED_FORMULA,
        "filters": filters,
        "horizons": selectors.HORIZONS,
        "owners": _owners(member),
        "tiers": Tier.choices,
        "query": request.GET.urlencode(),
    }
    return render(request, "web/renewals/board.html", context)


@require_GET
@workspace_view
def renewal_board_csv(request: HttpRequest, member: Member) -> HttpResponse:
    filters = _filters(request)
    workspace = member.workspace
    board = selectors.board(workspace, **filters)
    rows: list[list[Any]] = [CSV_HEADER]
    for column in board.columns:
        for r in column.renewals:
            band, overall = getattr(r, "health_band", None), getattr(r, "health_overall", None)
            expected: selectors.Expectation = r.expected  # type: ignore[attr-defined]  # annotated onto the queryset's rows
            rows.append(
                [
                    r.pk, r.account.name, r.account.external_id, r.account.tier, r.subscription.product,
                    r.term_end.isoformat(), r.owner.display_name if r.owner else "", r.stage, r.forecast_category,
                    r.target_amount, _blank(r.forecast_amount), _blank(expected.probability),
                    _blank(expected.amount), workspace.currency, r.close_date.isoformat(),
                    band or "", "" if overall is None else round(overall, 1),
                ]
            )  # fmt: skip
    return csv_response(rows, f"{workspace.slug}-renewals-{filters['horizon_days']}d-{board.today.isoformat()}.csv")


def _blank(value: Any) -> Any:
    return "" if value is None else value


@require_GET
@workspace_view
def renewal_at_risk(request: HttpRequest, member: Member) -> HttpResponse:
    column = selectors.Column("at_risk", "At risk")
    for renewal in selectors.at_risk(member.workspace):
        column.add(renewal)
    context = {
        "renewals": column.renewals,
        "totals": column,
        "forecast_count": sum(1 for r in column.renewals if r.is_forecast),
        "formula": selectors.EXPECTED_FORMULA,
        "today": workspace_today(member.workspace),
    }
    return render(request, "web/renewals/at_risk.html", context)


def _renewal_page(
    request: HttpRequest,
    member: Member,
    renewal: Renewal,
    update_form: RenewalUpdateForm | None = None,
    close_form: RenewalCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = access.can_edit_account(member, renewal.account) and renewal.is_open
    context = {
        "renewal": renewal,
        "can_edit": can_edit,
        "update_form": update_form or (RenewalUpdateForm(renewal=renewal) if can_edit else None),
        "close_form": close_form or (RenewalCloseForm(renewal=renewal) if can_edit else None),
        "reasons": list(renewal.reasons.all()),
        "health": latest_score(renewal.account),
        "expected": selectors.expectation(selectors.renewal_annotated(member.workspace, renewal.pk)),
    }
    return render(request, "web/renewals/renewal.html", context, status=status)


def _renewal_url(member: Member, renewal: Renewal) -> str:
    return reverse("renewal", args=[member.workspace.slug, renewal.pk])


@require_GET
@workspace_view
def renewal_detail(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    return _renewal_page(request, member, access.get_renewal_for_user(member, pk))


@require_POST
@workspace_view
def renewal_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    renewal = access.get_rw_renewal_for_user(member, pk)
    form = RenewalUpdateForm(request.POST, renewal=renewal)
    if form.is_valid():
        try:
            services.renewal_update(renewal=renewal, actor=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Renewal updated.")
            return redirect(_renewal_url(member, renewal))
    renewal.refresh_from_db()
    return _renewal_page(request, member, renewal, update_form=form, status=400)


@require_POST
@workspace_view
def renewal_close(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    renewal = access.get_rw_renewal_for_user(member, pk)
    form = RenewalCloseForm(request.POST, renewal=renewal)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.renewal_close(
                renewal=renewal,
                actor=member,
                via=VIA,
                outcome=data["outcome"],
                final_amount=data["final_amount"],
                reasons=list(data["reasons"]),
                new_term_end=data["new_term_end"],
                effective_on=data["effective_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Renewal closed.")
            return redirect(_renewal_url(member, renewal))
    renewal.refresh_from_db()
    return _renewal_page(request, member, renewal, close_form=form, status=400)


@require_http_methods(["GET", "POST"])
@workspace_view
def reason_codes(request: HttpRequest, member: Member) -> HttpResponse:
    workspace = member.workspace
    if request.method == "POST":
        access.require_manager(member)
    form = ReasonCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reason_code_create(workspace=workspace, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Reason added.")
            return redirect("renewal-reasons", workspace.slug)
    if not selectors.reason_codes(workspace).exists():
        services.reason_codes_seed(workspace=workspace)
    context = {"reasons": selectors.reason_codes(workspace), "form": form, "can_edit": member.can_manage}
    return render(request, "web/renewals/reasons.html", context, status=400 if form.errors else 200)


@require_POST
@workspace_view
def reason_code_edit(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    reason = access.get_rw_reason_code_for_user(member, pk)
    label = request.POST.get("label")
    active = request.POST.get("active")
    try:
        services.reason_code_update(
            reason=reason, label=label if label else None, active=None if active is None else active == "1"
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Reason updated.")
    return redirect("renewal-reasons", member.workspace.slug)
