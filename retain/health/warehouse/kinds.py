"""The measure kinds of warehouse measures: `warehouse.KEY` (higher is healthier) and `warehouse_low.KEY`.

A scorecard names a warehouse measure by its kind like any other measure; the value for day D is
the measure's stored value dated D or, when the last run is older, the latest one in the
STALE_DAYS days before D (a daily warehouse job that missed one night does not blank a score).
Registered from HealthConfig.ready.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Collection
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from retain.accounts.models import Account
from retain.accounts.segments import Criterion, criterion_register
from retain.health import catalogue
from retain.health.measures import Scope, Values, register_family_query
from retain.health.models import WarehouseValue
from retain.lib.queries import MAX_IDS_IN_QUERY

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


def latest_values(
    workspace_id: int, account_ids: Collection[int] | None, day: dt.date, keys: Collection[str] | None = None
) -> dict[int, dict[str, float]]:
    """{account_id: {measure key: value}}: each warehouse measure's latest non-empty value on or before
    `day`, within STALE_DAYS; what playbook snapshots and journey milestones see as `warehouse.<key>`.
    (`warehouse_values`, the scorecards' reader, takes the latest day even when its value is empty, and
    checks the kind's direction.) One query; above MAX_IDS_IN_QUERY accounts it reads the workspace's rows."""
    rows = WarehouseValue.objects.filter(
        workspace_id=workspace_id,
        day__lte=day,
        day__gt=day - dt.timedelta(days=STALE_DAYS + 1),
        value__isnull=False,
    )
    if account_ids is not None and len(account_ids) <= MAX_IDS_IN_QUERY:
        rows = rows.filter(account_id__in=list(account_ids))
    if keys is not None:
        rows = rows.filter(measure__key__in=list(keys))
    found: dict[int, dict[str, float]] = {}
    wanted = None if account_ids is None else set(account_ids)
    ordered = rows.order_by("account_id", "measure_id", "day").values_list("account_id", "measure__key", "value")
    for account_id, key, value in ordered:  # ordered by day: the latest wins
        if value is not None and (wanted is None or account_id in wanted):
            found.setdefault(account_id, {})[key] = value
    return found


# A segment criterion: {"warehouse": {"<key>": {"min": 10, "max": 50}}} keeps the accounts whose
# latest fresh value of the measure (as `latest_values` reads it) lies within the bounds.
SEGMENT_CRITERION = "warehouse"


def _clean_criterion(raw: Any) -> dict[str, dict[str, float]]:
    if not isinstance(raw, dict) or not raw:
        raise ValueError('must be an object of measure key → {"min": number, "max": number}')
    clean: dict[str, dict[str, float]] = {}
    for key, bounds in raw.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise ValueError(f"{key!r} is not a warehouse measure key (letters, digits, - and _)")
        if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
            raise ValueError(f'{key}: must be {{"min": number, "max": number}} (either or both)')
        kept: dict[str, float] = {}
        for side, value in bounds.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{key}.{side}: must be a finite number")
            kept[side] = float(value)
        if "min" in kept and "max" in kept and kept["min"] > kept["max"]:
            raise ValueError(f"{key}: min must not be above max")
        clean[key] = kept
    return clean


def _apply_criterion(
    accounts: QuerySet[Account], criterion: dict[str, dict[str, float]], today: dt.date
) -> QuerySet[Account]:
    for number, (key, bounds) in enumerate(sorted(criterion.items())):
        latest = (
            WarehouseValue.objects.filter(
                account=OuterRef("pk"),
                measure__key=key,
                day__lte=today,
                day__gt=today - dt.timedelta(days=STALE_DAYS + 1),
                value__isnull=False,
            )
            .order_by("-day")
            .values("value")[:1]
        )
        name = f"_warehouse_{number}"
        accounts = accounts.annotate(**{name: Subquery(latest)})
        if "min" in bounds:
            accounts = accounts.filter(**{f"{name}__gte": bounds["min"]})
        if "max" in bounds:
            accounts = accounts.filter(**{f"{name}__lte": bounds["max"]})
    return accounts


def register() -> None:
    criterion_register(SEGMENT_CRITERION, Criterion(clean=_clean_criterion, apply=_apply_criterion))
    catalogue.register_family(HIGHER, _maker(HIGHER, catalogue.HIGHER_IS_HEALTHIER))
    catalogue.register_family(LOWER, _maker(LOWER, catalogue.LOWER_IS_HEALTHIER))
    register_family_query(HIGHER, warehouse_values)
    register_family_query(LOWER, warehouse_values)
