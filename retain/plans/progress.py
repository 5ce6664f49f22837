"""Progress roll-up of a success plan (pure: no Django).

A metric's progress is how far its current value has moved from start towards target,
(current − start) / (target − start), clamped to 0..1; a metric whose target equals its start is
done (1) when current has reached it, else 0. Works the same for metrics that should go down
(start 40, target 10, current 25 → 50%). An objective's progress is the mean of its metrics', a
goal's the mean of its objectives', the plan's the mean of its goals'; a level with nothing under
it has no progress (None) and is left out of the mean above it. Commitments roll up separately as
the share of them done.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def metric_progress(start: Decimal, current: Decimal, target: Decimal) -> float:
    span = target - start
    if span == 0:
        return 1.0 if current == target else 0.0
    share = float((current - start) / span)
    return min(1.0, max(0.0, share))


def mean(values: Iterable[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return sum(known) / len(known) if known else None


def commitments_done_share(statuses: Iterable[str], *, done: str = "done") -> float | None:
    """The share of commitments done, among all of them; None when there are none."""
    listed = list(statuses)
    if not listed:
        return None
    return sum(1 for status in listed if status == done) / len(listed)
