"""Measured milestones: a measure compared with the account's own baseline or with a goal (pure).

Seed 002's later milestones are numbers, not ticks: "Progress" (week 6) is a % increase in visitors,
in leads and in lead-to-sales; "Achievement" (weeks 12-52) is the % of the lead goal and of the
new-sales goal reached. A data milestone's criteria read them as ordinary condition attributes
(retain.lib.conditions), so templates need no second language:

- ``measures.<measure>.growth_pct``: the change, in %, of the measure over the 28 days ending on the
  evaluation day D against the same measure over the account's *baseline period*: the first 28 days
  of data since its journey started (the first day the measure's events were seen, so an account
  whose tracking code went in late is compared with its own first month, not with zeros). Measures:
  ``visitors_28d`` (Page Viewed), ``leads_28d`` (Lead Created), ``sales_28d`` (Lead Converted) and
  ``lead_to_sale_28d`` (sales / leads in the window, as a rate).
- ``measures.<to-date measure>.goal_pct``: ``leads_to_date`` or ``sales_to_date`` (since the journey
  started) as a % of the success plan's goal for it (journeys.hooks: plans provides the goals).

Rules decided once, so that a milestone never completes on an artefact:

- No data is not met, and says why: no baseline period yet (it ends on day X), no current window
  after the baseline ended, no event of the measure at all, or no goal set. The attribute is then
  missing from the snapshot, which makes its leaf false (lib/conditions' rule).
- A baseline of zero makes growth undefined (any number is "infinitely" up): only the goal form
  can be met, and the reason says so.
- The baseline is kept with the milestone (MilestoneProgress.baseline) the first time it is known,
  and reused afterwards: late rollups never move the bar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from retain.usage.vocabulary import LEAD_CONVERTED, LEAD_CREATED, PAGE_VIEWED

PERIOD_DAYS = 28

# A windowed measure: the event it counts (a rate names its numerator and denominator events).
WINDOW_MEASURES: dict[str, tuple[str, ...]] = {
    "visitors_28d": (PAGE_VIEWED,),
    "leads_28d": (LEAD_CREATED,),
    "sales_28d": (LEAD_CONVERTED,),
    "lead_to_sale_28d": (LEAD_CONVERTED, LEAD_CREATED),
}
# A to-date measure: the event it counts and the goal (by name) it is compared with.
GOAL_MEASURES: dict[str, tuple[str, str]] = {
    "leads_to_date": (LEAD_CREATED, "leads"),
    "sales_to_date": (LEAD_CONVERTED, "sales"),
}
MEASURE_ATTRS: tuple[str, ...] = (
    *(f"measures.{name}.growth_pct" for name in WINDOW_MEASURES),
    *(f"measures.{name}.goal_pct" for name in GOAL_MEASURES),
)
WORDS = {
    "visitors_28d": "visitors",
    "leads_28d": "leads",
    "sales_28d": "sales",
    "lead_to_sale_28d": "lead-to-sale rate",
    "leads_to_date": "leads to date",
    "sales_to_date": "new sales to date",
}


def measure_attr(attr: str) -> tuple[str, str] | None:
    """("leads_28d", "growth_pct") for "measures.leads_28d.growth_pct", None for other attributes."""
    if not attr.startswith("measures."):
        return None
    name, _, form = attr[len("measures.") :].partition(".")
    return name, form


@dataclass(frozen=True)
class Reading:
    """What one measured attribute came to on a day: a value, or None with the reason there is none."""

    value: float | None
    reason: str
    detail: dict[str, object]


def growth(current: float | None, baseline: float | None) -> tuple[float | None, str]:
    """The % change from `baseline` to `current`, or None with why there is none."""
    if baseline is None:
        return None, "no baseline yet"
    if current is None:
        return None, "no data in the current period"
    if baseline == 0:
        return None, "the baseline is 0, so a change cannot be a %: only a goal can be met"
    return (current - baseline) / baseline * 100, ""


def goal_share(to_date: float | None, goal: float | None) -> tuple[float | None, str]:
    """`to_date` as a % of `goal`, or None with why there is none."""
    if goal is None or goal <= 0:
        return None, "no goal is set in the success plan"
    if to_date is None:
        return None, "no data since the journey started"
    return to_date / goal * 100, ""


def _window_value(measure: str, daily: dict[str, dict[dt.date, int]], first: dt.date, last: dt.date) -> float | None:
    """The measure over [first, last]; None when a rate has no denominator."""
    events = WINDOW_MEASURES[measure]
    totals = [sum(n for day, n in daily.get(name, {}).items() if first <= day <= last) for name in events]
    if len(events) == 1:
        return float(totals[0])
    return totals[0] / totals[1] if totals[1] else None


def baseline_period(
    measure: str, daily: dict[str, dict[dt.date, int]], started_on: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The first PERIOD_DAYS days of data for the measure since `started_on`: from the first day one
    of its events was seen (never before the journey started); None when none was seen."""
    seen = [
        day for name in WINDOW_MEASURES[measure] for day, n in daily.get(name, {}).items() if n and day >= started_on
    ]
    if not seen:
        return None
    first = min(seen)
    return first, first + dt.timedelta(days=PERIOD_DAYS - 1)


def take_baseline(
    measure: str, daily: dict[str, dict[dt.date, int]], started_on: dt.date, today: dt.date
) -> dict[str, object] | None:
    """The baseline to keep with the milestone, once its period is complete on `today`."""
    period = baseline_period(measure, daily, started_on)
    if period is None or period[1] > today:
        return None
    value = _window_value(measure, daily, *period)
    return {"value": value, "from": period[0].isoformat(), "to": period[1].isoformat()}


def _number(value: object) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}" if value < 1 else f"{value:,.1f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def read_growth(
    measure: str,
    daily: dict[str, dict[dt.date, int]],
    started_on: dt.date,
    today: dt.date,
    kept: dict[str, object] | None,
) -> Reading:
    """`measures.<measure>.growth_pct` on `today`, against the kept baseline (or the one taken now)."""
    baseline = kept or take_baseline(measure, daily, started_on, today)
    if baseline is None:
        period = baseline_period(measure, daily, started_on)
        if period is None:
            return Reading(None, f"no {WORDS[measure]} data since the journey started", {})
        return Reading(None, f"the baseline period runs until {period[1]}", {})
    ends = dt.date.fromisoformat(str(baseline["to"]))
    if today <= ends:
        return Reading(None, f"the baseline period runs until {ends}", {"baseline": baseline})
    first = today - dt.timedelta(days=PERIOD_DAYS - 1)
    current = _window_value(measure, daily, first, today)
    base_value = baseline["value"]
    value, reason = growth(current, float(base_value) if isinstance(base_value, (int, float)) else None)
    detail: dict[str, object] = {"baseline": baseline, "current": current, "to": today.isoformat()}
    if value is None:
        return Reading(None, f"{WORDS[measure]}: {reason}", detail)
    words = (
        f"{WORDS[measure]} {value:+.0f}%: {_number(current)} in the {PERIOD_DAYS} days to {today} against "
        f"{_number(base_value)} in the first {PERIOD_DAYS} days ({baseline['from']} to {baseline['to']})"
    )
    return Reading(value, words, detail)


def read_goal(
    measure: str, daily: dict[str, dict[dt.date, int]], started_on: dt.date, today: dt.date, goal: float | None
) -> Reading:
    """`measures.<measure>.goal_pct` on `today`: the count since the journey started against the goal."""
    event, _goal_name = GOAL_MEASURES[measure]
    counts = daily.get(event, {})
    to_date = float(sum(n for day, n in counts.items() if started_on <= day <= today)) if counts else None
    value, reason = goal_share(to_date, goal)
    detail: dict[str, object] = {"to_date": to_date, "goal": goal, "to": today.isoformat()}
    if value is None:
        return Reading(None, f"{WORDS[measure]}: {reason}", detail)
    words = f"{WORDS[measure]} {_number(to_date)} = {value:.0f}% of the goal of {_number(goal)} (since {started_on})"
    return Reading(value, words, detail)
