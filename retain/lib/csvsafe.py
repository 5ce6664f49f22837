"""The one CSV writer for every export: cells that spreadsheets show as text instead of running them
as formulas, and numbers that stay numbers (pure).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (and, in some versions,
a tab or carriage return) as a formula. Any such value from customer data — an account name, a
contact's title — is prefixed with a single quote, which the spreadsheet shows as plain text.

A number is never a formula, so a number (an int, float or Decimal, or text that is exactly one,
such as "-1250.50" or "-3e2") is written as it is: quoting it would turn a refund of -5 into the
text '-5 that no column sum adds up. Anything more than a number ("-1+cmd|' /C calc'!A0") is text
and is quoted.

Every CSV export goes through `write_csv`; retain/web/tests/test_csv_exports.py fails when one
writes with the csv module directly.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The media type of every CSV answer (web downloads and the API's `?format=csv`).
MEDIA_TYPE = "text/csv"

# A plain decimal number in the notation Python, spreadsheets and our own exports write it.
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """A value as CSV cell text, neutralised when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if finite:
            return str(value)
    # Text, and NaN or infinity, which a spreadsheet does not read as numbers ("-inf" starts like a formula).
    text = str(value)
    if text.startswith(DANGEROUS_STARTS) and not NUMBER.fullmatch(text):
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
