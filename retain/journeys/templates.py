"""Journey template validation and the attributes a milestone's data criteria may read (pure).

A data milestone's criteria are conditions (retain.lib.conditions) over a per-account snapshot
built by journeys.evaluation, as of the evaluation day D:

- ``events.<Key Event>.seen``: true once the key event was seen since the journey started.
- ``events.<Key Event>.count``: how many times since the journey started.
- ``events.<Key Event>.count_14d``: how many times in the 14 days ending on D.
- ``usage.active_days_30d``: days with any usage in the 30 days ending on D.
- ``usage.events_30d``: events in the 30 days ending on D.
- ``account.tier``, ``account.edition``, ``account.stage``.
- ``measures.<measure>.growth_pct`` and ``measures.<measure>.goal_pct``: a measure against the
  account's own baseline or against its success plan's goal (journeys.measured says how).
- attributes apps above journeys register (journeys.hooks.attr_provider_register), such as the
  team's ``education.trainings_attended_90d``, ``education.users_trained_pct`` and
  ``education.kb_articles_viewed_90d`` (a window ending on D, so such a milestone completes on D).

Key events are the milestone evidence of the usage vocabulary (retain.usage.vocabulary.KEY_EVENTS);
other event names are refused at save because the daily rollups do not keep them.
"""

from __future__ import annotations

import re
from typing import Any

from retain.accounts.choices import Edition, Tier
from retain.journeys.choices import MilestoneKind
from retain.journeys.hooks import provided_attrs
from retain.journeys.measured import MEASURE_ATTRS
from retain.lib.conditions import check
from retain.lib.definitions import Checker, Document, join, load, one_of
from retain.usage.vocabulary import KEY_EVENTS

EVENT_MEASURES = ("seen", "count", "count_14d")
ACCOUNT_ATTRS = ("account.tier", "account.edition", "account.stage")
USAGE_ATTRS = ("usage.active_days_30d", "usage.events_30d")
WAREHOUSE_ATTRS = "warehouse.*"
WAREHOUSE_PREFIX = "warehouse."
KNOWN_ATTRS: tuple[str, ...] = (
    *(f"events.{name}.{measure}" for name in KEY_EVENTS for measure in EVENT_MEASURES),
    *USAGE_ATTRS,
    *ACCOUNT_ATTRS,
    *MEASURE_ATTRS,
    # A warehouse measure's latest value within its staleness window (health.warehouse.kinds).
    WAREHOUSE_ATTRS,
)
MAX_WEEK = 104
MILESTONE_KEYS = ("key", "name", "target_week", "kind", "description", "criteria", "items")
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
    c = Checker()
    allowed = {"tier": Tier.values, "edition": Edition.values}
    cleaned: dict[str, list[str]] = {}
    raw = c.mapping(data, "applies_to", tuple(allowed)) or {}
    for field, options in allowed.items():
        if field not in raw:
            continue
        where = join("applies_to", field)
        values = c.items(raw[field], where, of=", ".join(options))
        for index, value in enumerate(values):
            if value not in options:
                c.error(join(where, index), one_of(value, options))
        cleaned[field] = list(dict.fromkeys(values))
    c.raise_if_any()
    return cleaned


def parse_milestones(text: str, source: str = "milestones.yaml") -> list[dict[str, Any]]:
    """The milestones a YAML list defines; DefinitionError places each problem at its line and column."""
    document = load(text, source=source, root="milestones")
    return _clean_milestones(document.data, document)


def clean_milestones(data: object) -> list[dict[str, Any]]:
    """The milestones in a canonical form; raises DefinitionError (a ValidationError) naming the field of
    each problem."""
    return _clean_milestones(data, None)


def _clean_milestones(data: object, document: Document | None) -> list[dict[str, Any]]:
    c = Checker()
    cleaned: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    last_week = 0
    for index, item in enumerate(c.items(data, "milestones", of="milestones")):
        path = f"milestones[{index}]"
        raw = c.mapping(item, path, MILESTONE_KEYS)
        if raw is None:
            continue
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            c.error(f"{path}.key", "must be a slug of lowercase letters, digits, - and _")
        elif key in seen_keys:
            c.error(f"{path}.key", f"{key!r} is used twice")
        else:
            seen_keys.add(key)
        name = c.text(raw, "name", path, limit=200)
        week = c.number(raw, "target_week", path, whole=True, low=1, high=MAX_WEEK, unit="weeks")
        if week is not None and week < last_week:
            c.error(f"{path}.target_week", f"must not come before the previous milestone's week {last_week}")
        elif week is not None:
            last_week = week
        kind = c.choice(raw, "kind", path, MilestoneKind.values, required=True)
        milestone: dict[str, Any] = {"key": key, "name": (name or "").strip(), "target_week": week, "kind": kind}
        description = c.text(raw, "description", path, required=False, limit=5000)
        if description:
            milestone["description"] = description
        if kind == MilestoneKind.DATA:
            known = (*KNOWN_ATTRS, *provided_attrs())
            criteria = check(c, raw.get("criteria"), f"{path}.criteria", known_attrs=known)
            if criteria is not None:
                milestone["criteria"] = criteria.to_data()
        elif kind == MilestoneKind.RENEWAL:
            for extra in ("criteria", "items"):
                if extra in raw:
                    c.error(f"{path}.{extra}", "a renewal milestone completes from the renewal's outcome; remove it")
        elif kind == MilestoneKind.CHECKLIST:
            items = raw.get("items")
            if (
                not isinstance(items, list)
                or not items
                or any(not isinstance(text, str) or not text.strip() for text in items)
                or len(set(items)) != len(items)
            ):
                c.error(f"{path}.items", "must be a non-empty list of distinct texts")
            else:
                milestone["items"] = [text.strip() for text in items]
        cleaned.append(milestone)
    c.raise_if_any("milestones", document)
    return cleaned
