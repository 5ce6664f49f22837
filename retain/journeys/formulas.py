"""Pure helpers for the journey metrics and the template screen (no Django imports).

Percentiles interpolate linearly between the closest ranks (the "linear" method of most tools): for
sorted values v[0..n-1] the q-th percentile sits at position (n - 1) × q; the median is q = 0.5.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0 <= q <= 1) of the values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share(part: int, whole: int) -> float | None:
    """part / whole, None when the whole is empty (a rate of nothing is not 0%)."""
    return part / whole if whole else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def cohort_month(day: dt.date) -> str:
    """The month a journey started in, as 2026-09."""
    return f"{day.year}-{day.month:02}"


def cohort_quarter(day: dt.date) -> str:
    """The quarter a journey started in, as 2026-Q3."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def month_bounds(label: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a cohort given as 2026-09 or 2026-Q3, None when it is neither."""
    try:
        year_text, part = label.split("-", 1)
        year = int(year_text)
        if part.upper().startswith("Q"):
            quarter = int(part[1:])
            if not 1 <= quarter <= 4:
                return None
            first_month, last_month = 3 * quarter - 2, 3 * quarter
        else:
            first_month = last_month = int(part)
            if not 1 <= first_month <= 12:
                return None
        start = dt.date(year, first_month, 1)
        end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
    except ValueError:
        return None
    return start, end


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter holding `day`."""
    bounds = month_bounds(cohort_quarter(day))
    assert bounds is not None
    return bounds


def milestones_diff(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What a new version changes, milestone by milestone (by key), in the new version's order then
    the removed ones: [{"key", "name", "change": "added"|"removed"|"changed"|"moved"|"same",
    "fields": [(field, old, new)]}]."""
    before = {item["key"]: (index, item) for index, item in enumerate(old)}
    after_keys = {item["key"] for item in new}
    changes: list[dict[str, Any]] = []
    for index, item in enumerate(new):
        if item["key"] not in before:
            changes.append({"key": item["key"], "name": item["name"], "change": "added", "fields": []})
            continue
        old_index, previous = before[item["key"]]
        fields = [
            (field, previous.get(field), item.get(field))
            for field in sorted(set(previous) | set(item))
            if previous.get(field) != item.get(field)
        ]
        change = "changed" if fields else ("moved" if old_index != index else "same")
        changes.append({"key": item["key"], "name": item["name"], "change": change, "fields": fields})
    for item in old:
        if item["key"] not in after_keys:
            changes.append({"key": item["key"], "name": item["name"], "change": "removed", "fields": []})
    return changes
