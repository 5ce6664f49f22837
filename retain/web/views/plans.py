"""The success plan page of an account: read by every member, edited by whoever may edit the account.

One page, one POST endpoint: the `action` field says which small form was sent (vision, goal,
objective, metric, metric value, commitment, commitment status, remove an item, shared link create
or revoke). The
logic lives in retain.plans.services; this module validates input and picks the objects, always
through the account the member was allowed to edit, so an id from another plan or workspace is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from retain import access
from retain.accounts.models import Account, Contact
from retain.health.catalogue import MEASURES
from retain.lib.columns import parse_whole
from retain.plans import selectors, services
from retain.plans.choices import CommitmentStatus, LinkPurpose, PlanStatus
from retain.plans.models import Commitment, Goal, Objective, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member
from retain.web.decorators import workspace_view
from retain.web.forms import add_service_errors

VALUE = {"max_digits": 16, "decimal_places": 4}


class VisionForm(forms.Form):
    vision = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    status = forms.ChoiceField(choices=PlanStatus.choices)


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


class MetricForm(forms.Form):
    objective = forms.ChoiceField(help_text="the objective this metric measures")
    name = forms.CharField(max_length=200)
    unit = forms.CharField(max_length=40, required=False)
    start_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]
    target_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]
    current_value = forms.DecimalField(required=False, help_text="blank: the start value", **VALUE)  # type: ignore[arg-type]
    measure_kind = forms.ChoiceField(required=False, label="Updates itself from")

    def __init__(self, *args: Any, plan: SuccessPlan | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        objectives = Objective.objects.filter(goal__plan=plan).select_related("goal") if plan else []
        self.fields["objective"].choices = [  # type: ignore[attr-defined]
            (str(o.pk), f"{o.goal.title} › {o.title}") for o in objectives
        ]
        choices = [("", "Nothing: typed in")] + [(kind, m.name) for kind, m in sorted(MEASURES.items())]
        self.fields["measure_kind"].choices = choices  # type: ignore[attr-defined]


class MetricValueForm(forms.Form):
    current_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]


class CommitmentForm(forms.Form):
    description = forms.CharField(max_length=300)
    owner = forms.ChoiceField(help_text="someone at the customer, or one of us")
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = [(f"contact-{c.pk}", f"{c.full_name or c.email} ({account.name})") for c in account.contacts.all()]
        members = [
            (f"member-{m.pk}", f"{m.display_name} (us)")
            for m in Member.objects.filter(workspace_id=account.workspace_id, is_active=True).select_related("user")
        ]
        self.fields["owner"].choices = [("", "—"), *contacts, *members]  # type: ignore[attr-defined]


class CommitmentStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CommitmentStatus.choices)


class LinkForm(forms.Form):
    purpose = forms.ChoiceField(choices=LinkPurpose.choices)
    days = forms.IntegerField(min_value=1, max_value=services.MAX_LINK_DAYS, initial=services.DEFAULT_LINK_DAYS)


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


def _apply(request: HttpRequest, member: Member, account: Account, plan: SuccessPlan) -> forms.Form | str | None:
    """Run the posted action; a form with errors to show again, a raw new link token, or None when done."""
    action = request.POST.get("action", "")
    post = request.POST
    form: forms.Form
    try:
        if action == "vision":
            form = VisionForm(post)
            if form.is_valid():
                services.plan_update(plan=plan, actor=member, **form.cleaned_data)
                return None
        elif action == "goal":
            form = TitleForm(post)
            if form.is_valid():
                services.goal_add(plan=plan, actor=member, title=form.cleaned_data["title"])
                return None
        elif action == "objective":
            goal = _pick(Goal, post.get("goal"), plan=plan)
            form = TitleForm(post)
            if form.is_valid():
                services.objective_add(goal=goal, actor=member, title=form.cleaned_data["title"])
                return None
        elif action == "metric":
            form = MetricForm(post, plan=plan)
            if form.is_valid():
                data = dict(form.cleaned_data)
                objective = _pick(Objective, data.pop("objective"), goal__plan=plan)
                services.metric_add(objective=objective, actor=member, **data)
                return None
        elif action == "metric-value":
            metric = _pick(SuccessMetric, post.get("metric"), objective__goal__plan=plan)
            form = MetricValueForm(post)
            if form.is_valid():
                services.metric_set_current(
                    metric=metric, actor=member, current_value=form.cleaned_data["current_value"]
                )
                return None
        elif action == "commitment":
            form = CommitmentForm(post, account=account)
            if form.is_valid():
                data = form.cleaned_data
                services.commitment_add(
                    plan=plan,
                    actor=member,
                    description=data["description"],
                    due_on=data["due_on"],
                    **_owner(account, data["owner"]),
                )
                return None
        elif action == "commitment-status":
            commitment = _pick(Commitment, post.get("commitment"), plan=plan)
            form = CommitmentStatusForm(post)
            if form.is_valid():
                services.commitment_set_status(commitment=commitment, actor=member, status=form.cleaned_data["status"])
                return None
        elif action == "remove":
            kinds = {
                "goal": (Goal, {"plan": plan}),
                "objective": (Objective, {"goal__plan": plan}),
                "metric": (SuccessMetric, {"objective__goal__plan": plan}),
                "commitment": (Commitment, {"plan": plan}),
            }
            model, scope = kinds.get(post.get("kind", ""), (None, {}))
            if model is None:
                raise Http404("No such kind")
            services.plan_item_remove(item=_pick(model, post.get("pk"), **scope), actor=member)
            return None
        elif action == "onboarding":
            services.onboarding_plan_generate(account=account, actor=member)
            return None
        elif action == "link":
            form = LinkForm(post)
            if form.is_valid():
                _, raw = services.shared_link_create(account=account, actor=member, **form.cleaned_data)
                return raw
        elif action == "link-revoke":
            link = _pick(SharedLink, post.get("link"), account=account)
            services.shared_link_revoke(link=link, actor=member)
            return None
        else:
            form = forms.Form(post)
            form.add_error(None, "Unknown action")
    except ValidationError as error:
        add_service_errors(form, error)
    return form


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
        if outcome is None:
            messages.success(request, "Plan saved.")
            return redirect("success-plan", member.workspace.slug, account.pk)
        if isinstance(outcome, str):
            # The customer opens the site's public address, whatever host this request came through.
            new_link = settings.SITE_URL + reverse("shared-plan", args=[outcome])
        else:
            failed = outcome
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
