"""The CSV import form."""

from __future__ import annotations

from django import forms

from retain.accounts.choices import ImportKind


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, label="What the file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8 or UTF-16; comma, semicolon or tab separated")
    dry_run = forms.BooleanField(required=False, label="Dry run", help_text="check everything, write nothing")
    allow_partial = forms.BooleanField(
        required=False, label="Allow partial", help_text="write the good rows and report the bad ones"
    )
