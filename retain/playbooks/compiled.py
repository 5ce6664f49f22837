"""A playbook version ready to evaluate, and what one scan or plan reads once for all playbooks.

``Compiled`` parses a version's conditions once and answers "is this account in the audience" and
"do the conditions hold" over a snapshot; ``Snapshots`` keeps the whole-workspace snapshots and
time-trigger origins a scan shares across playbooks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from retain.accounts.models import Segment
from retain.accounts.selectors import accounts_matching
from retain.lib.conditions import Condition, parse
from retain.playbooks import triggers
from retain.playbooks.definition import describe_step
from retain.playbooks.models import Playbook
from retain.playbooks.snapshot import CHURNED, Snapshot, build
from retain.tenancy.models import Workspace


class Compiled:
    """A playbook version with its conditions parsed once."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        definition = playbook.definition
        self.key = playbook.key
        self.trigger: dict[str, Any] = definition["trigger"]
        self.audience: dict[str, Any] = definition.get("audience") or {}
        self.limits: dict[str, Any] = definition.get("limits") or {}
        self.conditions = _parsed(definition.get("conditions"))
        self.audience_where = _parsed(self.audience.get("where"))
        self.trigger_condition = _parsed(self.trigger.get("condition"))
        self.trigger_where = _parsed(self.trigger.get("where"))
        self.steps = tuple(describe_step(step) for step in definition["steps"])

    def in_audience(self, snap: Snapshot, segment_ids: set[int] | None) -> bool:
        if snap.get("account.status") == CHURNED:
            return False
        if segment_ids is not None and snap["account.id"] not in segment_ids:
            return False
        for name in ("tier", "edition", "stage", "owner"):
            wanted = self.audience.get(name)
            if wanted and snap.get(f"account.{name}") not in wanted:
                return False
        return self.audience_where is None or self.audience_where.evaluate(snap)

    def conditions_hold(self, snap: Snapshot) -> bool:
        return self.conditions is None or self.conditions.evaluate(snap)


def _parsed(data: Any) -> Condition | None:
    return parse(data) if data else None


def segment_ids(workspace: Workspace, compiled: Compiled, day: dt.date) -> set[int] | None:
    """The account ids of the playbook's audience segment (evaluated anew), or None for no segment."""
    segment = compiled.audience.get("segment")
    if segment is None:
        return None
    found = Segment.objects.filter(workspace=workspace).filter(
        Q(pk=segment) if isinstance(segment, int) else Q(name=segment)
    )
    saved = found.first()
    if saved is None:
        return set()
    return set(accounts_matching(workspace, saved.criteria, today=day).values_list("pk", flat=True))


class Snapshots:
    """What one scan or plan reads once and shares across playbooks: whole-workspace snapshots per
    day (six queries a day) and the days time triggers count from (one query per origin)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.days: dict[dt.date, dict[int, Snapshot]] = {}
        self.origins: dict[tuple[str, str], triggers.Bases] = {}

    def some(self, day: dt.date, account_ids: set[int]) -> dict[int, Snapshot]:
        """Snapshots of a few accounts on a day (the whole day's when it was built already); not kept."""
        return self.days[day] if day in self.days else build(self.workspace, day, account_ids)

    def fresh(self, day: dt.date) -> dict[int, Snapshot]:
        """The whole workspace on a day, not kept (day-by-day replays)."""
        return self.days[day] if day in self.days else build(self.workspace, day)

    def bases(self, trigger: dict[str, Any]) -> triggers.Bases:
        key = triggers.bases_key(trigger)
        if key not in self.origins:
            self.origins[key] = triggers.bases(self.workspace, trigger)
        return self.origins[key]

    def on(self, day: dt.date) -> dict[int, Snapshot]:
        if day not in self.days:
            self.days[day] = build(self.workspace, day)
        return self.days[day]
