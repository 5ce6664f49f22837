"""The account page's health card: the latest score with its breakdown, a 90-day history chart
(from the account's start when that is more recent), what changed since a week before, and the CSM
pulse with its form.

Four queries whatever the history holds (the last 90 days of scores, the latest one when older,
the one to compare with, the pulse). The breakdown and the week-over-week change are
health.selectors.health_breakdown. The chart is server-side SVG: coordinates here, drawing in
web/partials/account_health.html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from retain.accounts.models import Account
from retain.health import selectors
from retain.health.choices import Band, PulseValue
from retain.health.models import HealthScore
from retain.lib.dates import local_day
from retain.web.forms_health import PulseForm

HISTORY_DAYS = 90
MAX_GAP_DAYS = 7


# The account page's health card ------------------------------------------------------------------


CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 600, 150, 28, 8, 8, 18


def _y(value: float) -> float:
    return round(PAD_T + (CHART_H - PAD_T - PAD_B) * (1 - value / 100.0), 1)


def history_chart(
    scores: Sequence[HealthScore], *, start: dt.date, days: int, red_below: float, green_from: float
) -> dict[str, Any]:
    """A daily line of the overall score over `days` days from `start`, over the three band zones.
    A gap of more than a week without scores (or an unscored day) breaks the line rather than being
    drawn through; shorter gaps (a missed nightly run, weekly history) are joined."""
    step = (CHART_W - PAD_L - PAD_R) / max(days - 1, 1)
    segments: list[list[str]] = []
    dots = []
    previous: dt.date | None = None
    for score in scores:
        if score.overall is None:
            previous = None
            continue
        x = round(PAD_L + step * (score.day - start).days, 1)
        y = _y(score.overall)
        if previous is None or (score.day - previous).days > MAX_GAP_DAYS:
            segments.append([])
        segments[-1].append(f"{x},{y}")
        dots.append({"x": x, "y": y, "day": score.day, "overall": score.overall, "band": score.band})
        previous = score.day
    zones = [
        {"band": Band.GREEN, "y": _y(100), "height": round(_y(green_from) - _y(100), 1)},
        {"band": Band.YELLOW, "y": _y(green_from), "height": round(_y(red_below) - _y(green_from), 1)},
        {"band": Band.RED, "y": _y(red_below), "height": round(_y(0) - _y(red_below), 1)},
    ]
    ticks = [{"value": v, "y": _y(v)} for v in (0, red_below, green_from, 100)]
    return {
        "width": CHART_W, "height": CHART_H, "left": PAD_L, "right": CHART_W - PAD_R, "bottom": _y(0),
        "plot_width": CHART_W - PAD_L - PAD_R, "label_x": PAD_L - 4,
        "lines": [" ".join(points) for points in segments], "dots": dots, "zones": zones, "ticks": ticks,
        "start": start, "end": start + dt.timedelta(days=days - 1), "single": len(dots) == 1,
    }  # fmt: skip


def account_start(account: Account) -> dt.date:
    """The day the account began: its customer-since date, else the day it was created."""
    if account.customer_since is not None:
        return account.customer_since
    return local_day(account.created_at, account.workspace.time_zone)


def account_health_card(account: Account, *, today: dt.date, can_edit: bool) -> dict[str, Any]:
    """What the account page's health card shows; four queries whatever the history holds."""
    since = today - dt.timedelta(days=HISTORY_DAYS - 1)
    history = list(
        account.health_scores.filter(day__gte=since, day__lte=today).select_related("scorecard").order_by("day")
    )
    latest = history[-1] if history else selectors.latest_score(account)
    breakdown = selectors.health_breakdown(account, latest)
    card, rows, previous = breakdown.card, breakdown.rows, breakdown.previous
    # The chart starts when the account did, if that is within the 90 days: no empty stretch before it.
    start = max(since, account_start(account))
    if history:
        start = min(start, history[0].day)
    chart = history_chart(
        history,
        start=start,
        days=(today - start).days + 1,
        red_below=card.red_below if card else 40.0,
        green_from=card.green_from if card else 70.0,
    )
    pulse = selectors.current_pulse(account, day=today)
    return {
        "score": latest,
        "rows": rows,
        "grouped": any(row.group for row in rows),
        "previous": previous,
        "delta": breakdown.delta,
        "changes": breakdown.changes,
        "chart": chart,
        "since": since,
        "has_history": bool(chart["dots"]),
        "pulse": pulse,
        "pulse_form": PulseForm(initial={"value": pulse.value if pulse else PulseValue.YELLOW}) if can_edit else None,
    }
