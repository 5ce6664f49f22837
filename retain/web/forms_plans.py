"""Forms of the success-plan page: the vision, goals and objectives, metrics, commitments and shared links."""

from __future__ import annotations

from typing import Any

from django import forms

from retain.accounts.models import Account
from retain.health.catalogue import MEASURES
from retain.health.models import WarehouseMeasure
from retain.plans import services
from retain.plans.choices import CommitmentStatus, LinkPurpose, PlanStatus
from retain.plans.models import Objective, SuccessPlan
from retain.tenancy.models import Member

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
    start_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]  # VALUE holds max_digits and decimal_places, both ints
    target_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]  # VALUE holds max_digits and decimal_places, both ints
    current_value = forms.DecimalField(required=False, help_text="blank: the start value", **VALUE)  # type: ignore[arg-type]  # VALUE holds max_digits and decimal_places, both ints
    measure_kind = forms.ChoiceField(required=False, label="Updates itself from")

    def __init__(self, *args: Any, plan: SuccessPlan | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        objectives = Objective.objects.filter(goal__plan=plan).select_related("goal") if plan else []
        self.fields["objective"].choices = [  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field
            (str(o.pk), f"{o.goal.title} › {o.title}") for o in objectives
        ]
        choices = [("", "Nothing: typed in")] + [(kind, m.name) for kind, m in sorted(MEASURES.items())]
        if plan is not None:
            # The workspace's warehouse measures (their kinds are data: health.warehouse.kinds).
            warehouse = WarehouseMeasure.objects.filter(workspace_id=plan.workspace_id).order_by("name")
            choices += [(m.kind, f"{m.name} (warehouse)") for m in warehouse]
        self.fields["measure_kind"].choices = choices  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field


class MetricValueForm(forms.Form):
    current_value = forms.DecimalField(**VALUE)  # type: ignore[arg-type]  # VALUE holds max_digits and decimal_places, both ints


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
        self.fields["owner"].choices = [("", "—"), *contacts, *members]  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field


class CommitmentStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CommitmentStatus.choices)


class LinkForm(forms.Form):
    purpose = forms.ChoiceField(choices=LinkPurpose.choices)
    days = forms.IntegerField(min_value=1, max_value=services.MAX_LINK_DAYS, initial=services.DEFAULT_LINK_DAYS)
