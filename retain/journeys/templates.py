"""Journey template validation and the attributes a milestone's data criteria may read (pure).

A data milestone's criteria are conditions (retain.lib.conditions) over a per-account snapshot
built by journeys.evaluation, as of the evaluation day D:

- ``events.<Key Event>.seen``: true once the key event was seen since the journey started.
- ``events.<Key Event>.count``: how many times since the journey started.
- ``events.<Key Event>.count_14d``: how many times in the 14 days ending on D.
- ``usage.active_days_30d``: days with any usage in the 30 days ending on D.
- ``usage.events_30d``: events in the 30 days ending on D.
- ``account.tier``, ``account.edition``, ``account.stage``.

Key events are the milestone evidence of the usage vocabulary (retain.usage.vocabulary.KEY_EVENTS);
other event names are refused at save because the daily rollups do not keep them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from retain.accounts.choices import Edition, Tier
from retain.journeys.choices import MilestoneKind
from retain.lib.conditions import ConditionError, parse
from retain.usage.vocabulary import KEY_EVENTS

EVENT_MEASURES = ("seen", "count", "count_14d")
ACCOUNT_ATTRS = ("account.tier", "account.edition", "account.stage")
USAGE_ATTRS = ("usage.active_days_30d", "usage.events_30d")
KNOWN_ATTRS: tuple[str, ...] = (
    *(f"events.{name}.{measure}" for name in KEY_EVENTS for measure in EVENT_MEASURES),
    *USAGE_ATTRS,
    *ACCOUNT_ATTRS,
)
MAX_WEEK = 104
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def event_attr(attr: str) -> tuple[str, str] | None:
    """("Blog Migrated", "seen") for "events.Blog Migrated.seen", None for other attributes."""
    if not attr.startswith("events."):
        return None
    name, _, measure = attr[len("events.") :].rpartition(".")
    return name, measure


def clean_applies_to(data: object) -> dict[str, list[str]]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValidationError({"applies_to": "must be an object with optional tier and edition lists"})
    allowed = {"tier": Tier.values, "edition": Edition.values}
    cleaned: dict[str, list[str]] = {}
    for field, values in data.items():
        if field not in allowed:
            raise ValidationError({"applies_to": f"unknown key {field!r}; use tier or edition"})
        if not isinstance(values, list) or not values or any(v not in allowed[field] for v in values):
            raise ValidationError({f"applies_to.{field}": f"must be a non-empty list of {', '.join(allowed[field])}"})
        cleaned[field] = list(dict.fromkeys(values))
    return cleaned


def clean_milestones(data: object) -> list[dict[str, Any]]:
    """The milestones in a canonical form; raises ValidationError naming the field of each problem."""
    if not isinstance(data, list) or not data:
        raise ValidationError({"milestones": "must be a non-empty list"})
    errors: dict[str, str] = {}
    cleaned: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    last_week = 0
    for index, item in enumerate(data):
        path = f"milestones[{index}]"
        if not isinstance(item, Mapping):
            errors[path] = "must be an object"
            continue
        key = item.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            errors[f"{path}.key"] = "must be a slug of lowercase letters, digits, - and _"
        elif key in seen_keys:
            errors[f"{path}.key"] = f"{key!r} is used twice"
        else:
            seen_keys.add(key)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors[f"{path}.name"] = "must be a non-empty text of at most 200 characters"
        week = item.get("target_week")
        if isinstance(week, bool) or not isinstance(week, int) or not 1 <= week <= MAX_WEEK:
            errors[f"{path}.target_week"] = f"must be a whole number of weeks from 1 to {MAX_WEEK}"
        elif week < last_week:
            errors[f"{path}.target_week"] = f"must not come before the previous milestone's week {last_week}"
        else:
            last_week = week
        kind = item.get("kind")
        milestone: dict[str, Any] = {"key": key, "name": (name or "").strip(), "target_week": week, "kind": kind}
        if isinstance(item.get("description"), str):
            milestone["description"] = item["description"]
        if kind == MilestoneKind.DATA:
            try:
                milestone["criteria"] = parse(item.get("criteria"), known_attrs=KNOWN_ATTRS).to_data()
            except ConditionError as error:
                for where, message in error.errors:
                    errors[f"{path}.criteria" + (f".{where}" if where else "")] = message
        elif kind == MilestoneKind.CHECKLIST:
            items = item.get("items")
            if (
                not isinstance(items, list)
                or not items
                or any(not isinstance(text, str) or not text.strip() for text in items)
                or len(set(items)) != len(items)
            ):
                errors[f"{path}.items"] = "must be a non-empty list of distinct texts"
            else:
                milestone["items"] = [text.strip() for text in items]
        else:
            errors[f"{path}.kind"] = f"must be one of {', '.join(MilestoneKind.values)}"
        cleaned.append(milestone)
    if errors:
        raise ValidationError(errors)
    return cleaned
