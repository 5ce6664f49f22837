"""The success plan page of an account: read by every member, edited by whoever may edit the account.

One page, one POST endpoint: the `action` field says which small form was sent (vision, goal,
objective, metric, metric value, commitment, commitment status, remove an item, shared link create
or revoke), and ACTIONS maps it to its handler. The logic lives in retain.plans.services; this
module validates input and picks the objects, always through the account the member was allowed to
edit, so an id from another plan or workspace is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from retain import access
from retain.accounts.models import Account, Contact
from retain.lib.columns import parse_whole
from retain.plans import selectors, services
from retain.plans.choices import CommitmentStatus, PlanStatus
from retain.plans.models import Commitment, Goal, Objective, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import ActionOutcome, submit_action
from retain.web.forms_plans import (
    CommitmentForm,
    CommitmentStatusForm,
    LinkForm,
    MetricForm,
    MetricValueForm,
    TitleForm,
    VisionForm,
)


def _pick(model: Any, value: str | None, **scope: Any) -> Any:
    """The row `value` names inside `scope`, or 404 (also for a value that is not an id)."""
    pk = parse_whole(value)
    if pk is None:
        raise Http404("No such object")
    return get_object_or_404(model, pk=pk, **scope)


def _owner(account: Account, value: str) -> dict[str, Any]:
    side, _, text = value.partition("-")
    pk = parse_whole(text)
    if side == "contact" and pk is not None:
        return {"owner_contact": get_object_or_404(Contact, pk=pk, account=account)}
    if side == "member" and pk is not None:
        return {"owner_member": get_object_or_404(Member, pk=pk, workspace_id=account.workspace_id)}
    return {}


@dataclass(frozen=True)
class _Posted:
    """One posted action on an account's plan, by a member allowed to edit the account."""

    member: Member
    account: Account
    plan: SuccessPlan
    data: QueryDict


def _vision(p: _Posted) -> ActionOutcome:
    return submit_action(VisionForm(p.data), lambda data: services.plan_update(plan=p.plan, actor=p.member, **data))


def _goal(p: _Posted) -> ActionOutcome:
    return submit_action(
        TitleForm(p.data), lambda data: services.goal_add(plan=p.plan, actor=p.member, title=data["title"])
    )


def _objective(p: _Posted) -> ActionOutcome:
    goal = _pick(Goal, p.data.get("goal"), plan=p.plan)
    return submit_action(
        TitleForm(p.data),
        lambda data: services.objective_add(goal=goal, actor=p.member, title=data["title"]),
    )


def _metric(p: _Posted) -> ActionOutcome:
    def save(data: dict[str, Any]) -> None:
        objective = _pick(Objective, data.pop("objective"), goal__plan=p.plan)
        services.metric_add(objective=objective, actor=p.member, **data)

    return submit_action(MetricForm(p.data, plan=p.plan), save)


def _metric_value(p: _Posted) -> ActionOutcome:
    metric = _pick(SuccessMetric, p.data.get("metric"), objective__goal__plan=p.plan)

    def save(data: dict[str, Any]) -> None:
        services.metric_set_current(metric=metric, actor=p.member, current_value=data["current_value"])

    return submit_action(MetricValueForm(p.data), save)


def _commitment(p: _Posted) -> ActionOutcome:
    def save(data: dict[str, Any]) -> None:
        services.commitment_add(
            plan=p.plan,
            actor=p.member,
            description=data["description"],
            due_on=data["due_on"],
            **_owner(p.account, data["owner"]),
        )

    return submit_action(CommitmentForm(p.data, account=p.account), save)


def _commitment_status(p: _Posted) -> ActionOutcome:
    commitment = _pick(Commitment, p.data.get("commitment"), plan=p.plan)

    def save(data: dict[str, Any]) -> None:
        services.commitment_set_status(commitment=commitment, actor=p.member, status=data["status"])

    return submit_action(CommitmentStatusForm(p.data), save)


def _remove(p: _Posted) -> ActionOutcome:
    kinds: dict[str, tuple[Any, dict[str, Any]]] = {
        "goal": (Goal, {"plan": p.plan}),
        "objective": (Objective, {"goal__plan": p.plan}),
        "metric": (SuccessMetric, {"objective__goal__plan": p.plan}),
        "commitment": (Commitment, {"plan": p.plan}),
    }
    model, scope = kinds.get(p.data.get("kind", ""), (None, {}))
    if model is None:
        raise Http404("No such kind")
    item = _pick(model, p.data.get("pk"), **scope)
    return submit_action(forms.Form(p.data), lambda data: services.plan_item_remove(item=item, actor=p.member))


def _onboarding(p: _Posted) -> ActionOutcome:
    return submit_action(
        forms.Form(p.data),
        lambda data: services.onboarding_plan_generate(account=p.account, actor=p.member),
    )


def _link(p: _Posted) -> ActionOutcome:
    tokens: list[str] = []

    def save(data: dict[str, Any]) -> None:
        _, raw = services.shared_link_create(account=p.account, actor=p.member, **data)
        tokens.append(raw)

    outcome = submit_action(LinkForm(p.data), save)
    return ActionOutcome(token=tokens[0]) if tokens else outcome


def _link_revoke(p: _Posted) -> ActionOutcome:
    link = _pick(SharedLink, p.data.get("link"), account=p.account)
    return submit_action(forms.Form(p.data), lambda data: services.shared_link_revoke(link=link, actor=p.member))


# The `action` field of the page's small forms, and what each one does.
ACTIONS: dict[str, Callable[[_Posted], ActionOutcome]] = {
    "vision": _vision,
    "goal": _goal,
    "objective": _objective,
    "metric": _metric,
    "metric-value": _metric_value,
    "commitment": _commitment,
    "commitment-status": _commitment_status,
    "remove": _remove,
    "onboarding": _onboarding,
    "link": _link,
    "link-revoke": _link_revoke,
}


def _apply(request: HttpRequest, member: Member, account: Account, plan: SuccessPlan) -> ActionOutcome:
    """Run the posted action through its handler."""
    handler = ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        form = forms.Form(request.POST)
        form.add_error(None, "Unknown action")
        return ActionOutcome(failed=form)
    return handler(_Posted(member, account, plan, request.POST))


@require_http_methods(["GET", "POST"])
@workspace_view
def success_plan(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    if request.method == "POST":
        account = access.get_rw_account_for_user(member, pk)
    else:
        account = access.get_account_for_user(member, pk)
    can_edit = access.can_edit_account(member, account)
    plan = selectors.plan_for_account(account)
    failed: forms.Form | None = None
    new_link = ""
    if request.method == "POST":
        plan = plan or services.plan_get_or_create(account=account, actor=member)
        outcome = _apply(request, member, account, plan)
        failed = outcome.failed
        if outcome.token:
            # The customer opens the site's public address, whatever host this request came through.
            new_link = settings.SITE_URL + reverse("shared-plan", args=[outcome.token])
        elif failed is None:
            messages.success(request, "Plan saved.")
            return redirect("success-plan", member.workspace.slug, account.pk)
    context = {
        "account": account,
        "workspace": member.workspace,
        "can_edit": can_edit,
        "view": selectors.plan_view(plan, with_events=True) if plan is not None else None,
        "failed": failed,
        "failed_action": request.POST.get("action", ""),
        "new_link": new_link,
        "links": list(selectors.account_links(account)) if can_edit else [],
        "vision_form": VisionForm(
            initial={"vision": plan.vision if plan else "", "status": plan.status if plan else PlanStatus.ACTIVE}
        ),
        "metric_form": MetricForm(plan=plan),
        "commitment_form": CommitmentForm(account=account),
        "link_form": LinkForm(),
        "commitment_statuses": CommitmentStatus.choices,
    }
    return render(request, "web/plan.html", context, status=400 if failed is not None else 200)
