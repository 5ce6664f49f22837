"""The import form: CSV records, or product events (CSV, JSON Lines or Parquet)."""

from __future__ import annotations

from typing import Any

from django import forms

from retain.accounts.choices import ImportKind
from retain.accounts.imports.streams import STREAM_KINDS


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, label="What the file holds")
    file = forms.FileField(
        label="File",
        help_text=(
            "CSV: UTF-8 or UTF-16; comma, semicolon or tab separated. "
            "Product events: CSV, JSON Lines (.jsonl) or Parquet, one event a row"
        ),
    )
    dry_run = forms.BooleanField(required=False, label="Dry run", help_text="check everything, write nothing")
    allow_partial = forms.BooleanField(
        required=False, label="Allow partial", help_text="write the good rows and report the bad ones"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stream = STREAM_KINDS.get(str(data.get("kind")))
        upload = data.get("file")
        if stream is not None and upload is not None:
            name = str(getattr(upload, "name", "") or "")
            suffix = name[name.rfind(".") :].lower() if "." in name else ""
            if suffix not in stream.suffixes:
                self.add_error(
                    "file", f"{name}: unknown format {suffix or 'without an ending'!r}; use .csv, .jsonl or .parquet"
                )
        return data
