"""Segment criteria: the accounts-list filters stored as data and re-evaluated on every use.

The same code serves the accounts list, saved segments and (later) playbook audiences, so a
segment always means exactly what the list showed when it was saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from retain.accounts.choices import Edition, Stage, Tier
from retain.accounts.models import Account

CHOICE_FIELDS: dict[str, type[Tier] | type[Edition] | type[Stage]] = {
    "tier": Tier,
    "edition": Edition,
    "stage": Stage,
}
KNOWN = {
    "q", "tier", "edition", "stage", "owner", "industry", "renewal_within_days", "arr_min", "arr_max", "traits",
    "in_stage_days_min",
}  # fmt: skip
NO_OWNER = "none"


@dataclass(frozen=True)
class Criterion:
    """A criterion an app above accounts adds (a measure it owns): `clean` turns the raw value into
    the stored one or raises ValueError with what is wrong; `apply` narrows an accounts queryset."""

    clean: Callable[[Any], Any]
    apply: Callable[[QuerySet[Account], Any, dt.date], QuerySet[Account]]


_ADDED: dict[str, Criterion] = {}


def criterion_register(name: str, criterion: Criterion) -> None:
    """Let segments (and so the accounts list, saved segments and playbook audiences) filter by `name`."""
    _ADDED[name] = criterion


TRAIT_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def clean_criteria(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise criteria; errors name the criterion. Empty criteria are dropped."""
    if not isinstance(raw, dict):
        raise ValidationError({"criteria": "must be an object"})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in raw:
        if key not in KNOWN and key not in _ADDED:
            errors[key] = f"unknown criterion (known: {', '.join(sorted(KNOWN | set(_ADDED)))})"
    q = raw.get("q")
    if q not in (None, ""):
        if not isinstance(q, str) or len(q) > 200:
            errors["q"] = "must be text of at most 200 characters"
        else:
            clean["q"] = q.strip()
    for key, choices in CHOICE_FIELDS.items():
        values = [str(v) for v in _as_list(raw.get(key)) if v != ""]
        bad = [v for v in values if v not in choices.values]
        if bad:
            errors[key] = f"{bad[0]!r} is not one of {', '.join(choices.values)}"
        elif values:
            clean[key] = sorted(set(values))
    owners: list[int | str] = []
    for value in _as_list(raw.get("owner")):
        if value == "":
            continue
        if value == NO_OWNER:
            owners.append(NO_OWNER)
            continue
        try:
            owners.append(int(value))
        except (TypeError, ValueError):
            errors["owner"] = f"{value!r} is not a member id or {NO_OWNER!r}"
    if owners and "owner" not in errors:
        clean["owner"] = owners
    industries = [str(v) for v in _as_list(raw.get("industry")) if v != ""]
    if industries:
        clean["industry"] = industries
    within = raw.get("renewal_within_days")
    if within not in (None, ""):
        try:
            days = int(within)
            if days < 0 or days > 3650:
                raise ValueError
            clean["renewal_within_days"] = days
        except (TypeError, ValueError):
            errors["renewal_within_days"] = "must be a whole number of days between 0 and 3650"
    in_stage = raw.get("in_stage_days_min")
    if in_stage not in (None, ""):
        try:
            days = int(in_stage)
            if days < 0 or days > 36500:
                raise ValueError
            clean["in_stage_days_min"] = days
        except (TypeError, ValueError):
            errors["in_stage_days_min"] = "must be a whole number of days between 0 and 36500"
    for key in ("arr_min", "arr_max"):
        value = raw.get(key)
        if value in (None, ""):
            continue
        try:
            amount = Decimal(str(value))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
            clean[key] = str(amount)
        except InvalidOperation:
            errors[key] = "must be a non-negative amount"
    traits = raw.get("traits")
    if traits not in (None, {}, ""):
        if not isinstance(traits, dict) or not all(isinstance(k, str) and TRAIT_NAME.match(k) for k in traits):
            errors["traits"] = "must be an object of trait name (letters, digits, single underscores) → value"
        else:
            clean["traits"] = traits
    for name, criterion in _ADDED.items():
        value = raw.get(name)
        if value in (None, "", {}, []):
            continue
        try:
            clean[name] = criterion.clean(value)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise ValidationError(errors)
    return clean


def apply_criteria(queryset: QuerySet[Account], criteria: dict[str, Any], today: dt.date) -> QuerySet[Account]:
    """Filter accounts by already-cleaned criteria. Needs the `next_renewal_on` annotation."""
    if q := criteria.get("q"):
        queryset = queryset.filter(Q(name__icontains=q) | Q(domain__icontains=q) | Q(external_id=q))
    for key in CHOICE_FIELDS:
        if values := criteria.get(key):
            queryset = queryset.filter(**{f"{key}__in": values})
    if owners := criteria.get("owner"):
        ids = [o for o in owners if o != NO_OWNER]
        condition = Q(owner_id__in=ids)
        if NO_OWNER in owners:
            condition |= Q(owner__isnull=True)
        queryset = queryset.filter(condition)
    if industries := criteria.get("industry"):
        queryset = queryset.filter(industry__in=industries)
    if (days := criteria.get("renewal_within_days")) is not None:
        # next_renewal_on is an annotation (selectors.accounts_annotated), unknown to the model.
        window = {"next_renewal_on__gte": today, "next_renewal_on__lte": today + dt.timedelta(days=days)}
        queryset = queryset.filter(**window)
    if (in_stage := criteria.get("in_stage_days_min")) is not None:
        # In the current lifecycle stage for at least this many days (since stage_entered_on).
        queryset = queryset.filter(stage_entered_on__lte=today - dt.timedelta(days=in_stage))
    if (arr_min := criteria.get("arr_min")) is not None:
        queryset = queryset.filter(mrr__gte=Decimal(arr_min) / 12)
    if (arr_max := criteria.get("arr_max")) is not None:
        queryset = queryset.filter(mrr__lte=Decimal(arr_max) / 12)
    for name, value in (criteria.get("traits") or {}).items():
        queryset = queryset.filter(**{f"traits__{name}": value})
    for name, criterion in _ADDED.items():
        if (value := criteria.get(name)) is not None:
            queryset = criterion.apply(queryset, value, today)
    return queryset


def describe(criteria: dict[str, Any]) -> str:
    """A short human description of criteria, for segment lists."""
    parts = []
    for key, value in criteria.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts) or "all accounts"
