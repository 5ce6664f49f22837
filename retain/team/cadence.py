"""Cadence as an input to health and playbooks: each account's last personal touch against what its
tier's coverage model expects in its stage (seed 004: a call every two weeks in adoption).

- Health: the measure `cadence_overdue_ratio` = days since the last expected touch / the cadence's
  days (0.5: half-way to due; 1.5: half a cadence overdue). Lower is healthier. Missing where the
  stage is digital-only or expects nothing. An account never touched is given 2.0 (two cadences
  without a touch), so it scores as overdue without an invented "last touch" day.
- Playbooks: snapshot attributes `cadence.days_since_touch`, `cadence.expected_days`,
  `cadence.overdue_days` and `cadence.status`, so a data trigger can say "no call in 14 days
  during adoption" (`cadence.overdue_days > 0 and account.stage == "adoption"`).

Both read the account's current tier and stage (history of tiers is not kept), and touchpoints up
to the day asked for.
"""

from __future__ import annotations

import datetime as dt

from retain.accounts.choices import Stage
from retain.accounts.models import Account
from retain.health.catalogue import LOWER_IS_HEALTHIER, RELATIONSHIP, MeasureKind, register
from retain.health.measures import Params, Scope, Values, register_query
from retain.playbooks.snapshot import Snapshot, provider_register
from retain.team import selectors
from retain.team.choices import CadenceStatus
from retain.tenancy.models import Workspace

KIND = "cadence_overdue_ratio"
NEVER_TOUCHED = 2.0
ATTRS = ("cadence.days_since_touch", "cadence.expected_days", "cadence.overdue_days", "cadence.status")


def _rows(workspace: Workspace, ids: set[int] | list[int] | None, day: dt.date) -> dict[int, selectors.CadenceRow]:
    accounts = Account.objects.filter(workspace=workspace).exclude(stage=Stage.CHURNED)
    if ids is not None and len(ids) <= 500:
        accounts = accounts.filter(pk__in=list(ids))
    rows = accounts.values_list("pk", "tier", "stage", "customer_since")
    wanted = set(ids) if ids is not None else None
    listed = [r for r in rows if wanted is None or r[0] in wanted]
    return selectors.cadence_rows(workspace, listed, selectors.coverage_of(workspace), day)


def cadence_overdue_ratio(scope: Scope, day: dt.date, params: Params) -> dict[int, Values]:
    result: dict[int, Values] = {}
    for pk, row in _rows(scope.workspace, scope.ids, day).items():
        if row.expected is None or row.expected.every_days is None:
            continue
        if row.status == CadenceStatus.NEVER or row.days_since is None:
            result[pk] = {KIND: NEVER_TOUCHED}
        else:
            result[pk] = {KIND: round(row.days_since / row.expected.every_days, 3)}
    return result


def add_to_snapshots(
    snapshots: dict[int, Snapshot], workspace: Workspace, wanted: set[int] | None, day: dt.date
) -> None:
    for pk, row in _rows(workspace, wanted if wanted is not None else set(snapshots), day).items():
        snap = snapshots.get(pk)
        if snap is None:
            continue
        snap["cadence.status"] = row.status
        snap["cadence.overdue_days"] = row.overdue_days
        if row.days_since is not None:
            snap["cadence.days_since_touch"] = row.days_since
        if row.expected is not None and row.expected.every_days is not None:
            snap["cadence.expected_days"] = row.expected.every_days


register(
    MeasureKind(
        kind=KIND,
        name="Touch cadence",
        group=RELATIONSHIP,
        direction=LOWER_IS_HEALTHIER,
        unit="cadences (days since touch / expected days)",
        doc="Days since the account's last call, meeting or e-mail of the kinds its tier's coverage model "
        "expects in its stage, divided by the cadence's days: 1 means due today, above 1 overdue. "
        f"Never touched counts as {NEVER_TOUCHED:g}. Missing where the stage is digital-only.",
        words=lambda v, p: f"{v:.1f}× the expected time between touches since the last one",
        when_missing="no personal touch expected in this stage",
    )
)
register_query(cadence_overdue_ratio, (KIND,))
provider_register(ATTRS, add_to_snapshots)
