"""The team: a CSM's "My book", the manager's team page with drill-down, the coverage model, and
balancing plans (propose, preview before/after per CSM, edit, apply).

Thin: reads through team.homes and team.selectors, writes through team.services; plans and
members come through retain.access (outsiders 404; balancing and the coverage model's editor are
for managers and admins, others 403).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from retain import access
from retain.lib.definitions import DefinitionError
from retain.team import homes, selectors, services
from retain.team.choices import Influence, PlanStatus, Sentiment
from retain.team.coverage import DEFAULT_SOURCE
from retain.team.models import BalancePlan, CoverageModel, Handoff
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.downloads import csv_response
from retain.web.views.team_reports import qbr_context


class CoverageForm(forms.Form):
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}), max_length=50_000)


def _book_page(request: HttpRequest, member: Member, owner: Member) -> HttpResponse:
    book = homes.my_book(member.workspace, owner)
    if request.GET.get("format") == "csv":
        rows: list[list[object]] = [
            ["account", "tier", "stage", "health_band", "health_score", "arr", "next_renewal", "last_touch",
             "days_since_touch", "cadence", "cadence_due_on"],
        ]  # fmt: skip
        rows += [
            [a.name, a.tier, a.stage, a.band or "", a.score, a.arr, a.renewal_on, a.cadence.last_touch,
             a.cadence.days_since, a.cadence.status, a.cadence.due_on]
            for a in book.accounts
        ]  # fmt: skip
        return csv_response(rows, f"{member.workspace.slug}-book-{owner.pk}-{book.today.isoformat()}.csv")
    return render(request, "web/team/my_book.html", {"book": book, "owner": owner, "own": owner.pk == member.pk})


@require_GET
@workspace_view
def my_book(request: HttpRequest, member: Member) -> HttpResponse:
    """A CSM's home: my accounts with health, ARR, renewal and cadence; my tasks, renewals, red accounts."""
    return _book_page(request, member, member)


@require_GET
@workspace_view
def team_member(request: HttpRequest, member: Member, member_pk: int) -> HttpResponse:
    """The drill-down from the team page: one CSM's book as they see it."""
    return _book_page(request, member, access.get_member_for_user(member, member_pk))


@require_GET
@workspace_view
def team(request: HttpRequest, member: Member) -> HttpResponse:
    """A manager's home: per CSM the book, % green, NRR against quota, renewals at risk, overdue
    tasks and cadence compliance."""
    rows = homes.team_overview(member.workspace)
    if request.GET.get("format") == "csv":
        table: list[list[object]] = [
            ["csm", "kind", "accounts", "max_accounts", "arr", "green", "scored", "pct_green", "quota_attainment",
             "renewals_at_risk", "overdue_tasks", "cadence_kept", "cadence_expected"],
        ]  # fmt: skip
        table += [
            [r.member.display_name, r.member.csm_kind, r.accounts, r.max_accounts, r.arr, r.green, r.scored,
             r.green_figure.value, r.attainment.value if r.attainment else None, r.renewals_at_risk,
             r.overdue_tasks, r.cadence_kept, r.cadence_expected]
            for r in rows
        ]  # fmt: skip
        return csv_response(table, f"{member.workspace.slug}-team.csv")
    plan = BalancePlan.objects.filter(workspace=member.workspace, status=PlanStatus.DRAFT).first()
    context = {"rows": rows, "can_manage": member.can_manage, "draft": plan}
    context.update(qbr_context(member.workspace))  # issue 16: QBR coverage per CSM and tier
    return render(request, "web/team/team.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view
def coverage(request: HttpRequest, member: Member) -> HttpResponse:
    """The coverage model: everyone reads it; managers edit its YAML (problems by line and column)."""
    workspace = member.workspace
    saved = CoverageModel.objects.filter(workspace=workspace).first()
    source = saved.source if saved else DEFAULT_SOURCE
    form = CoverageForm(request.POST or None, initial={"definition": source})
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        access.require_manager(member)
        if form.is_valid():
            try:
                services.coverage_save(
                    workspace=workspace, actor=member, source=form.cleaned_data["definition"].replace("\r\n", "\n")
                )
            except DefinitionError as error:
                problems = error.lines
            else:
                messages.success(request, "Coverage model saved.")
                return redirect("team-coverage", workspace.slug)
        status = 400
    return render(
        request,
        "web/team/coverage.html",
        {
            "form": form,
            "problems": problems,
            "coverage": selectors.coverage_from(saved),
            "saved": saved,
            "can_manage": member.can_manage,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@workspace_view
def balance(request: HttpRequest, member: Member) -> HttpResponse:
    """Balancing plans: the list, and a new proposal (POST)."""
    access.require_manager(member)
    if request.method == "POST":
        plan = services.plan_propose(workspace=member.workspace, actor=member)
        return redirect("team-plan", member.workspace.slug, plan.pk)
    plans = BalancePlan.objects.filter(workspace=member.workspace).select_related("created_by__user")[:20]
    return render(request, "web/team/plans.html", {"plans": plans})


def _edit(request: HttpRequest, member: Member, plan: BalancePlan) -> str:
    moves = {m.pk: m for m in plan.moves.all()}
    owners = {m.pk: m for m in selectors.team_csms(member.workspace)}
    for pk, move in moves.items():
        included = request.POST.get(f"include-{pk}") == "on"
        target = request.POST.get(f"to-{pk}")
        to_owner = owners.get(int(target)) if target and target.isdigit() else None
        if target and to_owner is None:
            raise ValidationError({f"to-{pk}": "must be an active CSM of this workspace"})
        services.plan_move_update(
            plan=plan,
            move=move,
            included=included,
            to_owner=to_owner if to_owner and to_owner.pk != move.to_owner_id else None,
        )
    return "Plan updated."


def _apply(request: HttpRequest, member: Member, plan: BalancePlan) -> str:
    applied = services.plan_apply(plan=plan, actor=member)
    skipped = f"; skipped {len(applied.skipped)}: {', '.join(applied.skipped)}" if applied.skipped else ""
    return f"Moved {applied.moved} account{'s' if applied.moved != 1 else ''}{skipped}."


def _discard(request: HttpRequest, member: Member, plan: BalancePlan) -> str:
    services.plan_discard(plan=plan, actor=member)
    return "Plan discarded."


ACTIONS: dict[str, Callable[[HttpRequest, Member, BalancePlan], str]] = {
    "update": _edit,
    "apply": _apply,
    "discard": _discard,
}


@require_http_methods(["GET", "POST"])
@workspace_view
def plan(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """One plan: its moves, before/after per CSM, and what it could not meet; edit, apply, discard."""
    plan = access.get_rw_balance_plan_for_user(member, pk)
    error = ""
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            error = "action: must be one of update, apply, discard"
        else:
            try:
                done = action(request, member, plan)
            except ValidationError as exc:
                error = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            else:
                messages.success(request, done)
                return redirect("team-plan", member.workspace.slug, plan.pk)
    workspace = member.workspace
    coverage = selectors.coverage_of(workspace)
    csms = selectors.team_csms(workspace)
    moves = list(plan.moves.select_related("account", "from_owner__user", "to_owner__user"))
    facts = selectors.account_facts(workspace)
    included = [(m.account_id, m.from_owner_id, m.to_owner_id) for m in moves if m.included]
    rows = selectors.preview(workspace, csms, facts, included, coverage)
    moved_arr = sum((facts[m.account_id].arr for m in moves if m.included and m.account_id in facts), start=0)
    return render(
        request,
        "web/team/plan.html",
        {
            "plan": plan,
            "moves": moves,
            "rows": rows,
            "csms": csms,
            "facts": facts,
            "moved_count": len(included),
            "moved_arr": moved_arr,
            "error": error,
            "tolerance": coverage.balance_tolerance_pct,
        },
        status=400 if error else 200,
    )


class StakeholderForm(forms.Form):
    contact = forms.IntegerField()
    influence = forms.ChoiceField(choices=Influence.choices)
    sentiment = forms.ChoiceField(choices=Sentiment.choices)
    is_executive_sponsor = forms.BooleanField(required=False)


@require_http_methods(["GET", "POST"])
@workspace_view
def account_team(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    """An account's stakeholder map (with its gaps), its hand-off from sales, and its group: the
    parent's rolled-up ARR, health and renewals, or a subsidiary's own figures with its parent."""
    account = access.get_account_for_user(member, pk)
    error = ""
    if request.method == "POST":
        account = access.get_rw_account_for_user(member, pk)
        form = StakeholderForm(request.POST)
        if form.is_valid():
            contact = access.get_rw_contact_for_user(member, form.cleaned_data["contact"])
            if contact.account_id != account.pk:
                error = "contact: belongs to another account"
            else:
                services.stakeholder_set(
                    contact=contact,
                    actor=member,
                    influence=form.cleaned_data["influence"],
                    sentiment=form.cleaned_data["sentiment"],
                    is_executive_sponsor=form.cleaned_data["is_executive_sponsor"],
                )
                messages.success(request, f"{contact} placed on the stakeholder map.")
                return redirect("account-team", member.workspace.slug, account.pk)
        else:
            error = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
    handoff = Handoff.objects.filter(account=account).first()
    context = {
        "account": account,
        "map": selectors.stakeholder_map(account),
        "handoff": handoff,
        "handoff_text": services.handoff_text(handoff) if handoff else "",
        "group": selectors.group_of(account),
        "influences": Influence.choices,
        "sentiments": Sentiment.choices,
        "can_edit": access.can_edit_account(member, account),
        "error": error,
    }
    return render(request, "web/team/account_team.html", context, status=400 if error else 200)
