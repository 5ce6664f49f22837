"""Forms of the health pages: a CSM's pulse, the portfolio's filters, the scorecard editor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from retain.accounts.choices import Tier
from retain.accounts.models import Segment
from retain.accounts.segments import NO_OWNER
from retain.health.choices import PulseValue
from retain.tenancy.models import Member


class PulseForm(forms.Form):
    value = forms.TypedChoiceField(label="Your read", choices=PulseValue.choices, coerce=int)
    note = forms.CharField(label="Why", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class PortfolioFilterForm(forms.Form):
    owner = forms.ChoiceField(required=False, label="CSM")
    tier = forms.ChoiceField(required=False, choices=[("", "All tiers"), *Tier.choices])
    segment = forms.ChoiceField(required=False)

    def __init__(self, data: Any, *, members: Sequence[Member], segments: Sequence[Segment]) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [
            ("", "All CSMs"), *((str(m.pk), m.display_name) for m in members), (NO_OWNER, "No owner")
        ]  # fmt: skip
        cast(forms.ChoiceField, self.fields["segment"]).choices = [
            ("", "All accounts"),
            *((str(s.pk), s.name) for s in segments),
        ]
        self.segments = {str(s.pk): s for s in segments}

    def value(self, name: str) -> str:
        return str(self.cleaned_data.get(name) or "") if self.is_valid() else ""

    @property
    def segment_obj(self) -> Segment | None:
        return self.segments.get(self.value("segment"))


class ScorecardForm(forms.Form):
    definition = forms.CharField(
        label="Scorecard (YAML)", widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code"})
    )
