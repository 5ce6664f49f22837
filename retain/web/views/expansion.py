"""Expansion: the open opportunities the signals found, with why, how much and whose, and their close forms.

Everyone in the workspace reads; whoever may edit the account (its CSM, managers, admins) closes
its opportunities. Logic lives in retain.renewals.expansion.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from retain import access
from retain.renewals import expansion
from retain.renewals.choices import ExpansionSignal, ExpansionStatus
from retain.renewals.models import ExpansionOpportunity
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors
from retain.web.forms_renewals import ExpansionCloseForm

VIA = "web"


def _open_opportunities(member: Member, signal: str) -> list[ExpansionOpportunity]:
    rows = access.scoped(member, ExpansionOpportunity.objects.filter(status=ExpansionStatus.OPEN))
    if signal:
        rows = rows.filter(signal=signal)
    rows = rows.select_related("account", "owner__user").prefetch_related("account__subscriptions")
    return list(rows.order_by("-amount", "-opened_at", "-id"))


@require_GET
@workspace_view
def expansion_list(request: HttpRequest, member: Member) -> HttpResponse:
    signal = request.GET.get("signal", "")
    if signal not in ExpansionSignal.values:
        signal = ""
    rows = _open_opportunities(member, signal)
    editable = {o.pk for o in rows if access.can_edit_account(member, o.account)}
    context = {
        "opportunities": rows,
        "editable": editable,
        "signal": signal,
        "signals": ExpansionSignal.choices,
        "total": sum((o.amount for o in rows), start=0),
    }
    return render(request, "web/expansion/list.html", context)


@require_POST
@workspace_view
def expansion_close(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    opportunity = access.get_rw_expansion_for_user(member, pk)
    form = ExpansionCloseForm(request.POST, opportunity=opportunity)
    if form.is_valid():
        data = form.cleaned_data
        try:
            expansion.expansion_close(
                opportunity=opportunity,
                actor=member,
                via=VIA,
                status=data["status"],
                amount=data["amount"],
                subscription=data["subscription"],
                new_mrr=data["new_mrr"],
                new_seats=data["new_seats"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Opportunity for {opportunity.account.name} closed as {data['status']}.")
            return _back(request, member, opportunity)
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else str(message))
    return _back(request, member, opportunity)


def _back(request: HttpRequest, member: Member, opportunity: ExpansionOpportunity) -> HttpResponse:
    """To the account page when the form was sent from there, else to the list."""
    if request.POST.get("back") == "account":
        return redirect("account", member.workspace.slug, opportunity.account_id)
    return redirect("expansion", member.workspace.slug)
