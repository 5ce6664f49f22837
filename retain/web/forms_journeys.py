"""Forms of the journey pages: the board's filters and a report's period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from retain.accounts.choices import Tier
from retain.journeys.formulas import month_bounds
from retain.lib.columns import parse_whole
from retain.tenancy.models import Member
from retain.web.forms import DateInput, owner_candidates


class BoardForm(forms.Form):
    owner = forms.ChoiceField(required=False, label="CSM")
    tier = forms.MultipleChoiceField(choices=Tier.choices, required=False, widget=forms.CheckboxSelectMultiple)
    cohort = forms.CharField(
        required=False,
        max_length=7,
        help_text="Start month (2026-09) or quarter (2026-Q3).",
        widget=forms.TextInput(attrs={"placeholder": "2026-Q3", "size": 8}),
    )
    attention = forms.BooleanField(required=False, label="Has behind or stuck")

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [
            ("", "Anyone"),
            ("none", "Nobody"),
            *((str(m.pk), m.display_name) for m in owner_candidates(member.workspace)),
        ]

    def clean_cohort(self) -> tuple[dt.date, dt.date] | None:
        text = (self.cleaned_data.get("cohort") or "").strip()
        if not text:
            return None
        bounds = month_bounds(text)
        if bounds is None:
            raise ValidationError("Give a month as 2026-09 or a quarter as 2026-Q3.")
        return bounds

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        owner = data.get("owner") or ""
        return {
            "owner_id": parse_whole(owner),
            "unowned": owner == "none",
            "tiers": data.get("tier") or None,
            "started": data.get("cohort"),
            "attention": bool(data.get("attention")),
        }


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=DateInput(), label="From")
    until = forms.DateField(required=False, widget=DateInput(), label="To")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "must not come before From")
        return cleaned
