"""The renewal columns of the health warehouse export: each account's next open renewal.

Registered with health.warehouse.export from RenewalsConfig.ready (health sits below renewals).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from retain.health.warehouse.export import export_columns_register
from retain.renewals.choices import Stage
from retain.renewals.models import Renewal
from retain.tenancy.models import Workspace

COLUMNS: tuple[tuple[str, Any], ...] = (
    ("renewal_term_end", sa.Date),
    ("renewal_stage", sa.String(16)),
    ("renewal_target_arr", sa.Numeric(16, 2)),
    ("renewal_forecast_arr", sa.Numeric(16, 2)),
    ("renewal_forecast_category", sa.String(16)),
)


def next_renewals(workspace: Workspace, account_ids: list[int], day: dt.date) -> dict[int, dict[str, Any]]:
    """Per account, the open renewal with the earliest term end (ties: the lowest id)."""
    found: dict[int, dict[str, Any]] = {}
    wanted = set(account_ids)
    renewals = Renewal.objects.filter(workspace=workspace).exclude(stage=Stage.CLOSED).order_by("term_end", "id")
    for renewal in renewals.iterator():
        if renewal.account_id in wanted and renewal.account_id not in found:
            found[renewal.account_id] = {
                "renewal_term_end": renewal.term_end,
                "renewal_stage": renewal.stage,
                "renewal_target_arr": renewal.target_amount,
                "renewal_forecast_arr": renewal.forecast_amount,
                "renewal_forecast_category": renewal.forecast_category or None,
            }
    return found


def register() -> None:
    export_columns_register("renewals", COLUMNS, next_renewals)
