"""CSV cells that spreadsheets show as text instead of running them as formulas (pure).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (and, in some versions,
a tab or carriage return) as a formula. Any such value from customer data — an account name, a
contact's title — is prefixed with a single quote, which the spreadsheet shows as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as CSV cell text, neutralised when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(DANGEROUS_STARTS):
        return "'" + text
    return text


def safe_row(values: Iterable[Any]) -> list[str]:
    return [safe_cell(value) for value in values]


def write_csv(rows: Iterable[Iterable[Any]], out: Any | None = None) -> str:
    """Write rows of safe cells to `out` (any file-like) or return them as a string."""
    target = out if out is not None else io.StringIO()
    writer = csv.writer(target, lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
    return target.getvalue() if out is None else ""
