"""Forms of the revenue pages: the period and filters, spend and CSM quotas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms

from retain.accounts.choices import Tier
from retain.accounts.models import Segment
from retain.metrics import engine
from retain.metrics.choices import SpendCategory
from retain.surveys.measures import Filters, Period
from retain.tenancy.models import Member

PERIODS = [("month", "This month"), ("quarter", "This quarter"), ("year", "This year"), ("custom", "Custom")]
DEFAULT_PERIOD = "quarter"


class RevenueFilterForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    tier = forms.ChoiceField(required=False, choices=[("", "All tiers"), *Tier.choices])
    segment = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False, label="CSM")
    target = forms.DecimalField(
        required=False,
        min_value=1,
        max_value=1000,
        decimal_places=1,
        label="Quota target (%)",
        help_text="the net retention a CSM's book should reach; 120% by default (seed 003)",
    )

    def __init__(self, data: Any, *, members: Sequence[Member], segments: Sequence[Segment], today: dt.date) -> None:
        super().__init__(data)
        self.today = today
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "All CSMs"),
            *((str(m.pk), m.display_name) for m in members),
        ]
        cast(forms.ChoiceField, self.fields["segment"]).choices = [
            ("", "All accounts"),
            *((str(s.pk), s.name) for s in segments),
        ]
        self.members = {str(m.pk): m for m in members}
        self.segments = {str(s.pk): s for s in segments}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            if not data.get("start"):
                self.add_error("start", "give the first day of a custom period")
            if not data.get("end"):
                self.add_error("end", "give the last day of a custom period")
            if data.get("start") and data.get("end") and data["end"] < data["start"]:
                self.add_error("end", "must not be before the start")
        return data

    def period_for(self, tz: str) -> Period:
        data = self.cleaned_data if self.is_valid() else {}
        kind = data.get("period") or DEFAULT_PERIOD
        today = self.today
        if kind == "custom":
            return Period(data["start"], data["end"], tz)
        if kind == "month":
            start = today.replace(day=1)
        elif kind == "year":
            start = dt.date(today.year, 1, 1)
        else:
            start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period(start, today, tz)

    def quota_target(self) -> Decimal:
        """The quota target as a share (1.20 for 120%)."""
        value = self.cleaned_data.get("target") if self.is_valid() else None
        return engine.DEFAULT_QUOTA_TARGET if value is None else Decimal(value) / 100

    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(
            tier=data.get("tier") or None,
            segment=self.segments.get(data.get("segment") or ""),
            owner=self.members.get(data.get("owner") or ""),
        )


DATE = forms.DateInput(attrs={"type": "date"})


class SpendForm(forms.Form):
    category = forms.ChoiceField(choices=SpendCategory.choices)
    period_start = forms.DateField(widget=DATE, help_text="the first day of a month or quarter")
    period_end = forms.DateField(widget=DATE, help_text="its last day")
    amount = forms.DecimalField(min_value=0, decimal_places=2, max_digits=16)
    note = forms.CharField(required=False, max_length=200)


class QuotaForm(forms.Form):
    member = forms.ChoiceField(label="CSM")
    period_start = forms.DateField(widget=DATE)
    period_end = forms.DateField(widget=DATE)
    target_nrr = forms.DecimalField(
        label="Target net retention (%)",
        required=False,
        min_value=1,
        max_value=1000,
        decimal_places=1,
        help_text="120% by default (seed 003: a $1M book should end the year at $1.2M)",
    )
    target_arr = forms.DecimalField(
        label="Target ARR", required=False, min_value=0, decimal_places=2, max_digits=16, help_text="overrides the %"
    )

    def __init__(self, data: Any, *, members: list[Member]) -> None:
        super().__init__(data)
        self.members = {str(m.pk): m for m in members}
        self.fields["member"].choices = [(str(m.pk), m.display_name) for m in members]  # type: ignore[attr-defined]  # Form.fields is typed as Field; this one is a choice field
