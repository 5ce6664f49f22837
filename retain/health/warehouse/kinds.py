"""The measure kinds of warehouse measures: `warehouse.KEY` (higher is healthier) and `warehouse_low.KEY`.

A scorecard names a warehouse measure by its kind like any other measure; the value for day D is
the measure's stored value dated D or, when the last run is older, the latest one in the
STALE_DAYS days before D (a daily warehouse job that missed one night does not blank a score).
Registered from HealthConfig.ready.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.db.models import OuterRef, Subquery

from retain.health import catalogue
from retain.health.measures import Scope, Values, register_family_query
from retain.health.models import WarehouseValue

HIGHER = "warehouse"
LOWER = "warehouse_low"
STALE_DAYS = 7
KEY = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


def _maker(prefix: str, direction: int) -> Callable[[str], catalogue.MeasureKind | None]:
    def make(key: str) -> catalogue.MeasureKind | None:
        if not KEY.match(key):
            return None
        return catalogue.MeasureKind(
            kind=f"{prefix}.{key}",
            name=f"Warehouse: {key}",
            group=catalogue.USAGE,
            direction=direction,
            unit="value",
            doc=f"The value the warehouse measure {key!r} returned for the account for D (or the latest "
            f"in the {STALE_DAYS} days before D), from its SQL run on a schedule against the workspace's "
            "warehouse. Missing when the warehouse returned no value for the account.",
            words=lambda v, p: f"{catalogue._n(v, 2)} ({key}, from the warehouse)",
            when_missing=f"no warehouse value for {key}",
        )

    return make


def warehouse_values(scope: Scope, day: dt.date, kinds: list[str]) -> dict[int, Values]:
    """{account_id: {kind: value}}: each named measure's latest value on or before `day` (STALE_DAYS)."""
    keys = {kind.partition(".")[2]: kind for kind in kinds}
    found: dict[int, Values] = {}
    rows = scope.filter(
        WarehouseValue.objects.filter(
            measure__key__in=list(keys), day__lte=day, day__gt=day - dt.timedelta(days=STALE_DAYS + 1)
        )
    )
    latest = (
        WarehouseValue.objects.filter(
            measure_id=OuterRef("measure_id"), account_id=OuterRef("account_id"), day__lte=day
        )
        .order_by("-day")
        .values("day")[:1]
    )
    rows = rows.filter(day=Subquery(latest)).values_list("account_id", "measure__key", "measure__direction", "value")
    for account_id, key, direction, value in rows:
        kind = keys[key]
        # The kind's prefix must agree with the measure's direction, or a scorecard would score it backwards.
        if (kind.startswith(f"{LOWER}.")) == (direction < 0):
            found.setdefault(account_id, {})[kind] = value
    return found


def register() -> None:
    catalogue.register_family(HIGHER, _maker(HIGHER, catalogue.HIGHER_IS_HEALTHIER))
    catalogue.register_family(LOWER, _maker(LOWER, catalogue.LOWER_IS_HEALTHIER))
    register_family_query(HIGHER, warehouse_values)
    register_family_query(LOWER, warehouse_values)
