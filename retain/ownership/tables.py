"""Which tables a workspace owns, derived from the models, and how their rows point at each other.

A table is workspace-owned when it has a foreign key to Workspace, or a non-null foreign key to a
table that is (ApiToken → Member → Workspace, SuccessMetric → Objective → Goal → SuccessPlan →
Workspace); Django's many-to-many link tables count the same way. Nothing here is listed by hand
except the few things a model cannot say about itself: which tables are not anyone's (GLOBAL), and
which plain integer or JSON columns hold another row's id (WATERMARKS, EMBEDDED_IDS). The tests fail
when a new model or such a column is not accounted for, so export, import and deletion never
silently forget one.

Tables come out parents first (the order import inserts them in); deletion walks the list
backwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models

from retain.tenancy.models import Workspace

# Models in Retain's apps that belong to no workspace, with why. (None today: every table is owned.)
GLOBAL: dict[str, str] = {}

# Plain integer columns that say "everything up to this id of that table is done". A watermark is
# carried over as the new id of the last row at or below it, so rollups and trigger scans resume
# exactly where they stopped instead of folding or firing twice.
WATERMARKS: dict[tuple[str, str], str] = {
    ("usage.rollupstate", "last_event_id"): "usage.usageevent",
    ("playbooks.scanmark", "last_entry_id"): "accounts.timelineentry",
}

IdMap = Callable[[str, Any], Any]  # (table label, old id) -> new id, or None when unknown


def _enrollment_context(value: Any, new_id: IdMap) -> Any:
    """Enrollment.context: {"entry_id": timeline entry, "tasks": {step: task id}, ...}."""
    if not isinstance(value, dict):
        return value
    value = dict(value)
    if value.get("entry_id") is not None:
        value["entry_id"] = new_id("accounts.timelineentry", value["entry_id"])
    if isinstance(value.get("tasks"), dict):
        value["tasks"] = {step: new_id("tasks.task", task) for step, task in value["tasks"].items()}
    return value


def _milestone_ticks(value: Any, new_id: IdMap) -> Any:
    """MilestoneProgress.ticks: {"item": {"on": day, "by": member id}}."""
    if not isinstance(value, dict):
        return value
    return {
        item: (
            {**tick, "by": new_id("tenancy.member", tick["by"])} if isinstance(tick, dict) and tick.get("by") else tick
        )
        for item, tick in value.items()
    }


# JSON columns that hold ids of other rows: how to rewrite them, and which tables they point at.
def _review_proposals(value: Any, new_id: IdMap) -> Any:
    """BusinessReview.proposals: [{"owner_contact": contact id, "owner_member": member id, ...}]."""
    if not isinstance(value, list):
        return value
    moved = []
    for item in value:
        if isinstance(item, dict):
            item = dict(item)
            if item.get("owner_contact") is not None:
                item["owner_contact"] = new_id("accounts.contact", item["owner_contact"])
            if item.get("owner_member") is not None:
                item["owner_member"] = new_id("tenancy.member", item["owner_member"])
        moved.append(item)
    return moved


REVIEW_FOLLOW_UP_TABLES = {"objective": "plans.objective", "commitment": "plans.commitment", "task": "tasks.task"}


def _review_follow_up(value: Any, new_id: IdMap) -> Any:
    """BusinessReview.follow_up: {proposal index: {"objective"|"commitment"|"task": id}}."""
    if not isinstance(value, dict):
        return value
    return {
        index: {
            kind: new_id(REVIEW_FOLLOW_UP_TABLES[kind], pk) if kind in REVIEW_FOLLOW_UP_TABLES else pk
            for kind, pk in made.items()
        }
        if isinstance(made, dict)
        else made
        for index, made in value.items()
    }


EMBEDDED_IDS: dict[tuple[str, str], tuple[Callable[[Any, IdMap], Any], tuple[str, ...]]] = {
    ("reports.businessreview", "proposals"): (_review_proposals, ("accounts.contact", "tenancy.member")),
    ("reports.businessreview", "follow_up"): (_review_follow_up, tuple(REVIEW_FOLLOW_UP_TABLES.values())),
    ("playbooks.enrollment", "context"): (_enrollment_context, ("accounts.timelineentry", "tasks.task")),
    ("journeys.milestoneprogress", "ticks"): (_milestone_ticks, ("tenancy.member",)),
}

USER_TABLE = "users"  # the logins members use; exported without passwords (see services)


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    label: str
    # The ORM lookup from a row to its workspace's id ("workspace_id", "member__workspace_id", ...).
    path: str
    columns: tuple[models.Field[Any, Any], ...]
    # Foreign keys to other owned tables (or to the login), by column.
    links: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [column.attname for column in self.columns]

    def rows_of(self, workspace_id: int) -> models.QuerySet[Any]:
        return self.model._default_manager.filter(**{self.path: workspace_id})


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def retain_models() -> list[type[models.Model]]:
    """Every concrete model of Retain's apps, Django's link tables for many-to-many fields included."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        owner = model._meta.auto_created or model
        if owner.__module__.startswith("retain.") and not model._meta.abstract and not model._meta.proxy:
            found.append(model)
    return found


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _paths() -> dict[type[models.Model], str]:
    """Each owned model's lookup to its workspace: direct first, then through non-null parents."""
    paths: dict[type[models.Model], str] = {Workspace: "id"}
    candidates = [m for m in retain_models() if m is not Workspace]
    changed = True
    while changed:
        changed = False
        for model in candidates:
            if model in paths:
                continue
            keys = _foreign_keys(model)
            direct = [fk for fk in keys if fk.related_model is Workspace]
            if direct:
                paths[model] = direct[0].attname
                changed = True
                continue
            parents = [fk for fk in keys if not fk.null and fk.related_model in paths and fk.related_model is not model]
            if parents:
                paths[model] = f"{parents[0].name}__{paths[parents[0].related_model]}"  # type: ignore[index]  # a multi-table parent is always a model class
                changed = True
    return paths


@functools.cache
def owned_tables() -> tuple[Table, ...]:
    """The workspace's tables, parents before children; Workspace itself first."""
    paths = _paths()
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    tables: dict[str, Table] = {}
    for model, path in paths.items():
        links = {}
        for fk in _foreign_keys(model):
            target = fk.related_model
            if target is user_model:
                links[fk.attname] = USER_TABLE
            elif target in paths:
                links[fk.attname] = label_of(target)  # type: ignore[arg-type]  # a foreign key's target here is always a model class
            else:
                raise LookupError(f"{label_of(model)}.{fk.name} points at {target}, which no workspace owns")
        tables[label_of(model)] = Table(model, label_of(model), path, tuple(model._meta.concrete_fields), links)
    return tuple(tables[label] for label in _insert_order(tables))


def _insert_order(tables: dict[str, Table]) -> list[str]:
    """Parents first. A table's link to itself (a member's manager) is set after its rows exist."""
    needs: dict[str, set[str]] = {}
    for label, table in tables.items():
        deps = {target for target in table.links.values() if target not in (label, USER_TABLE)}
        for (owner, _column), (_rewrite, targets) in EMBEDDED_IDS.items():
            if owner == label:
                deps |= set(targets)
        deps |= {target for (owner, _column), target in WATERMARKS.items() if owner == label}
        needs[label] = deps
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(needs):
        ready = sorted(label for label, deps in needs.items() if label not in done and deps <= done)
        if not ready:
            stuck = sorted(set(needs) - done)
            raise LookupError(f"the tables {', '.join(stuck)} point at each other in a cycle")
        order.extend(ready)
        done.update(ready)
    return order


def table(label: str) -> Table:
    return next(t for t in owned_tables() if t.label == label)
