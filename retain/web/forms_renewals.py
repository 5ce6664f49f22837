"""Forms of the renewal pages: working a renewal, closing it, and the reason-code library."""

from __future__ import annotations

from typing import Any

from django import forms

from retain.accounts.models import Subscription
from retain.renewals.choices import (
    NOT_FORECAST,
    NOT_FORECAST_LABEL,
    OPEN_STAGES,
    ExpansionStatus,
    ForecastCategory,
    Outcome,
    ReasonKind,
    Stage,
)
from retain.renewals.models import ExpansionOpportunity, ReasonCode, Renewal
from retain.renewals.selectors import reason_codes
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

DATE = forms.DateInput(attrs={"type": "date"})


class RenewalUpdateForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=Member.objects.none(), required=False, empty_label="Nobody")
    stage = forms.ChoiceField(choices=[(s.value, s.label) for s in OPEN_STAGES])
    forecast_category = forms.ChoiceField(
        choices=[(NOT_FORECAST, NOT_FORECAST_LABEL), *ForecastCategory.choices], required=False
    )
    forecast_amount = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, required=False, help_text="the ARR you expect to renew"
    )
    close_date = forms.DateField(widget=DATE, help_text="when it is expected to close")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, renewal: Renewal, **kwargs: Any) -> None:
        initial = {
            "owner": renewal.owner_id,
            "stage": renewal.stage if renewal.stage != Stage.CLOSED else Stage.OPEN,
            "forecast_category": renewal.forecast_category,
            "forecast_amount": renewal.forecast_amount,
            "close_date": renewal.close_date,
            "notes": renewal.notes,
        }
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        owners = Member.objects.filter(workspace_id=renewal.workspace_id, is_active=True).exclude(role=Role.VIEWER)
        self.fields["owner"].queryset = owners.select_related("user").order_by("user__first_name")  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field
        self.renewal = renewal

    def clean(self) -> dict[str, Any]:
        """A forecast is a category and an amount: both, or (while there is none yet) neither."""
        data = super().clean() or {}
        category, amount = data.get("forecast_category"), data.get("forecast_amount")
        if "forecast_category" in self.errors or "forecast_amount" in self.errors:
            return data
        if not category and amount is None:
            if self.renewal.is_forecast:
                self.add_error("forecast_category", "a forecast can be changed but not taken back")
            data.pop("forecast_category", None)
            data.pop("forecast_amount", None)
        elif not category:
            self.add_error("forecast_category", "choose the category of your forecast")
        elif amount is None:
            self.add_error("forecast_amount", "give the ARR you expect to renew")
        return data


class RenewalCloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    final_amount = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, required=False,
        help_text="ARR signed; blank means the target for a renewal and 0 for a churn",
    )  # fmt: skip
    reasons = forms.ModelMultipleChoiceField(
        queryset=ReasonCode.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="required for churn, contraction (downgrade reasons) and expansion",
    )  # fmt: skip
    new_term_end = forms.DateField(widget=DATE, required=False, help_text="blank: a year after the current term")
    effective_on = forms.DateField(widget=DATE, required=False, help_text="blank: the current term's end")

    def __init__(self, *args: Any, renewal: Renewal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = reason_codes(renewal.workspace, active_only=True)  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field
        self.fields["reasons"].label_from_instance = lambda r: f"{r.get_kind_display()}: {r.label}"  # type: ignore[attr-defined]  # Django's documented way to label the choices; Form.fields is typed as Field


class ReasonCodeForm(forms.Form):
    kind = forms.ChoiceField(choices=ReasonKind.choices)
    label = forms.CharField(max_length=120)


class ExpansionCloseForm(forms.Form):
    status = forms.ChoiceField(choices=[(ExpansionStatus.WON, "Won"), (ExpansionStatus.LOST, "Lost")])
    amount = forms.DecimalField(
        min_value=0, max_digits=16, decimal_places=2, required=False, help_text="ARR won; blank: the expected"
    )
    subscription = forms.ModelChoiceField(
        queryset=Subscription.objects.none(), required=False, empty_label="No subscription change"
    )
    new_mrr = forms.DecimalField(min_value=0, max_digits=16, decimal_places=2, required=False, label="New MRR")
    new_seats = forms.IntegerField(min_value=0, required=False)

    def __init__(self, *args: Any, opportunity: ExpansionOpportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = Subscription.objects.filter(  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field
            account_id=opportunity.account_id
        )
