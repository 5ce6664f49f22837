"""Cell values from CRM exports: money, whole numbers, dates, choices and web addresses (pure).

Each parser takes the cell text and returns the value or raises ValueError with the message the
import report shows next to the line and column.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CURRENCY_SYMBOLS = "$€£¥₹₽₺₩"
# Spaces, no-break spaces and the Swiss apostrophe group thousands; they never carry meaning.
GROUPING_BLANKS = re.compile(r"[\s\u00a0\u202f']")
CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}|[A-Za-z]{3}$")
CENT = Decimal("0.01")


def parse_money(text: str) -> Decimal:
    """An amount such as 1200, 1,200.50, 1.200,50, $1,200 or 1 200,50 EUR.

    Money has at most two decimals, so a single separator followed by exactly three digits groups
    thousands (1,200 and 1.200 are both twelve hundred) and otherwise marks the decimals; with both
    separators present the last one marks the decimals.
    """
    original = text
    text = text.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = GROUPING_BLANKS.sub("", text.strip(CURRENCY_SYMBOLS + " "))
    text = CURRENCY_CODE.sub("", text).strip(CURRENCY_SYMBOLS)
    if text.startswith("-"):
        negative, text = True, text[1:]
    text = text.strip(CURRENCY_SYMBOLS)
    not_money = f"{original.strip()!r} is not an amount of money"
    if not re.fullmatch(r"\d[0-9.,]*", text) or not text[-1].isdigit():
        raise ValueError(not_money)
    marks = [mark for mark in ".," if mark in text]
    if len(marks) == 2:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
    elif marks and text.count(marks[0]) == 1:
        whole, fraction = text.split(marks[0])
        thousands = len(fraction) == 3 and len(whole) <= 3 and whole != "0"
        decimal_mark = "" if thousands else marks[0]
    else:
        decimal_mark = ""
    whole, fraction = text.rsplit(decimal_mark, 1) if decimal_mark else (text, "")
    groups = re.split(r"[.,]", whole)
    if len(groups) > 1 and (
        (decimal_mark and decimal_mark in whole) or len(set(re.sub(r"\d", "", whole))) > 1 or not _grouped(groups)
    ):
        raise ValueError(f"{not_money} (misplaced thousands separator)")
    try:
        amount = Decimal("".join(groups) + ("." + fraction if fraction else ""))
    except InvalidOperation:
        raise ValueError(not_money) from None
    amount = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return -amount if negative else amount


def _grouped(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_whole_number(text: str) -> int:
    """A count such as 250, 1,200 or 1 200."""
    cleaned = GROUPING_BLANKS.sub("", text.strip())
    if re.fullmatch(r"\d{1,3}([,.]\d{3})+", cleaned) and len(set(re.sub(r"\d", "", cleaned))) == 1:
        cleaned = re.sub(r"[,.]", "", cleaned)
    if not cleaned.isdigit():
        raise ValueError(f"{text.strip()!r} is not a whole number")
    return int(cleaned)


# Dates -------------------------------------------------------------------------------------------

ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?")
NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)?")
NAMED_FORMATS = ("%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y")

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"


def _numeric_parts(text: str) -> tuple[int, str, int, int] | None:
    match = NUMERIC.fullmatch(text.strip())
    if not match:
        return None
    first, separator, second, year = match.groups()
    if len(year) != 4:
        raise ValueError(f"{text.strip()!r} has a two-digit year: write the year in full, e.g. 2024-03-15")
    return int(first), separator, int(second), int(year)


def slash_order(values: Iterable[str]) -> str | None:
    """Which way round a column writes its n/n/yyyy dates, if any value gives it away.

    13/02/2024 can only be day-first and 02/13/2024 only month-first; a column that shows both,
    or neither, has no order, and its ambiguous values (03/04/2024) are refused.
    """
    evidence: set[str] = set()
    for value in values:
        try:
            parts = _numeric_parts(value)
        except ValueError:
            continue
        if parts is None or parts[1] != "/":
            continue
        first, _, second, _ = parts
        if first > 12 >= second:
            evidence.add(DAY_FIRST)
        elif second > 12 >= first:
            evidence.add(MONTH_FIRST)
    return evidence.pop() if len(evidence) == 1 else None


def parse_date(text: str, order: str | None = None) -> dt.date:
    """A date written as ISO 8601 (2024-03-15, also with a time), 15.03.2024 or 15-03-2024
    (European, day first), 03/15/2024 or 15/03/2024 (order from `order` or the values
    themselves), or with an English month name (15 Mar 2024, March 15, 2024)."""
    value = text.strip()
    unreadable = f"{value!r} is not a date (write it as YYYY-MM-DD, e.g. 2024-03-15)"
    try:
        match = ISO.fullmatch(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        parts = _numeric_parts(value)
        if parts is not None:
            first, separator, second, year = parts
            if separator in ".-":
                return dt.date(year, second, first)
            if first > 12 or order == DAY_FIRST:
                return dt.date(year, second, first)
            if second > 12 or order == MONTH_FIRST or first == second:
                return dt.date(year, first, second)
            raise ValueError(
                f"{value!r} is ambiguous ({_month_day(year, first, second)} or {_month_day(year, second, first)}?): "
                f"write it as YYYY-MM-DD"
            )
    except ValueError as exc:
        if "ambiguous" in str(exc) or "two-digit" in str(exc):
            raise
        raise ValueError(unreadable) from None
    for pattern in NAMED_FORMATS:
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(unreadable)


def _month_day(year: int, month: int, day: int) -> str:
    day_of = dt.date(year, month, day)
    return f"{day_of.day} {day_of:%B}"


# Text --------------------------------------------------------------------------------------------


def normalise_label(text: str) -> str:
    """A header or choice as compared: lower case, words separated by single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def parse_choice(text: str, choices: Iterable[tuple[str, str]], synonyms: dict[str, str] | None = None) -> str:
    """A TextChoices value given as its value or label in any case ("Executive sponsor")."""
    wanted = normalise_label(text)
    options = list(choices)
    for value, label in options:
        if wanted in (normalise_label(value), normalise_label(label)):
            return value
    if synonyms and wanted in synonyms:
        return synonyms[wanted]
    allowed = ", ".join(value for value, _ in options)
    raise ValueError(f"{text.strip()!r} is not one of {allowed}")


def domain_from(text: str) -> str:
    """globex.com from globex.com, www.globex.com or https://www.globex.com/about."""
    value = text.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    value = value.removeprefix("www.")
    if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", value):
        raise ValueError(f"{text.strip()!r} is not a web domain")
    return value


def person_name_key(name: str) -> str:
    """A person's name for matching: accents dropped, case folded, spaces collapsed ("José  Núñez" → "jose nunez")."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())
