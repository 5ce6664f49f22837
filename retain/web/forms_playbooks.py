"""Forms of the playbook pages: the definition editor, the simulation's days, a snooze."""

from __future__ import annotations

from typing import Any

from django import forms

# A simulation replays one snapshot per day (about a quarter of a second per day at a thousand
# accounts): a page simulates at most a quarter; the command line takes longer ranges.
MAX_SIMULATE_DAYS = 92


class PlaybookForm(forms.Form):
    definition = forms.CharField(
        label="Definition (YAML)",
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code", "wrap": "off"}),
        max_length=100_000,
    )


class SimulateForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "must be on or after the start")
            elif (end - start).days > MAX_SIMULATE_DAYS:
                self.add_error(
                    "end", f"simulate at most {MAX_SIMULATE_DAYS} days here (retain playbooks simulate takes more)"
                )
        return data


class SnoozeForm(forms.Form):
    until = forms.DateField(label="Quiet until", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Why", max_length=300, required=False)
