"""Health scores and bands (and what later apps add, such as renewals) written to a warehouse table.

One row per account and day in the connection's `export_table` (created when missing). Writing a
day replaces that day's rows of this workspace in one transaction (delete, then insert), so running
the export twice leaves the same rows: it is an upsert per account and day that any dialect can do.
Apps above health add columns with `export_columns_register` (renewals adds the next renewal).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from django.utils import timezone
from sqlalchemy.exc import SQLAlchemyError

from retain.health.choices import WarehouseRunKind
from retain.health.models import HealthScore, WarehouseConnection, WarehouseRun
from retain.health.warehouse.connect import WarehouseError, engine, session
from retain.lib.dates import today_in
from retain.tenancy.models import Workspace

EXPORT_TIMEOUT = 600
INSERT_CHUNK = 1000
TABLE_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"

Provider = Callable[[Workspace, list[int], dt.date], dict[int, dict[str, Any]]]


@dataclass(frozen=True)
class ExportColumns:
    name: str
    columns: tuple[tuple[str, Any], ...]  # (column name, SQLAlchemy type)
    provider: Provider


EXTRA: list[ExportColumns] = []


def export_columns_register(name: str, columns: tuple[tuple[str, Any], ...], provider: Provider) -> None:
    if any(extra.name == name for extra in EXTRA):
        raise ValueError(f"export columns {name!r} are already registered")
    EXTRA.append(ExportColumns(name, columns, provider))


def table(name: str) -> sa.Table:
    metadata = sa.MetaData()
    columns: list[sa.Column[Any]] = [
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("account_id", sa.BigInteger, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("account_external_id", sa.String(128)),
        sa.Column("account_domain", sa.String(255)),
        sa.Column("account_name", sa.String(255)),
        sa.Column("health_score", sa.Float),
        sa.Column("health_band", sa.String(8)),
        sa.Column("scorecard", sa.String(200)),
        sa.Column("exported_at", sa.DateTime(timezone=True)),
    ]
    for extra in EXTRA:
        columns.extend(sa.Column(column, kind) for column, kind in extra.columns)
    return sa.Table(name, metadata, *columns, sa.PrimaryKeyConstraint("workspace", "account_id", "day"))


def export_rows(workspace: Workspace, day: dt.date) -> list[dict[str, Any]]:
    scores = (
        HealthScore.objects.filter(workspace=workspace, day=day)
        .select_related("account", "scorecard")
        .order_by("account_id")
    )
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {
            "workspace": workspace.slug,
            "account_id": score.account_id,
            "day": day,
            "account_external_id": score.account.external_id or None,
            "account_domain": score.account.domain or None,
            "account_name": score.account.name,
            "health_score": score.overall,
            "health_band": score.band,
            "scorecard": f"{score.scorecard.name} v{score.scorecard.version}",
            "exported_at": now,
        }
        for score in scores
    ]
    ids = [score.account_id for score in scores]
    for extra in EXTRA:
        found = extra.provider(workspace, ids, day)
        for row in rows:
            values = found.get(row["account_id"], {})
            row.update({column: values.get(column) for column, _ in extra.columns})
    return rows


def health_export(*, workspace: Workspace, connection: WarehouseConnection, day: dt.date | None = None) -> WarehouseRun:
    """Write the day's health rows (default: today) to the connection's export table; idempotent."""
    if connection.workspace_id != workspace.pk:
        raise ValueError("the connection belongs to another workspace")
    day = day or today_in(workspace.time_zone)
    run = WarehouseRun.objects.create(
        workspace=workspace, connection=connection, kind=WarehouseRunKind.EXPORT, started_at=timezone.now()
    )
    rows = export_rows(workspace, day)
    error = ""
    try:
        name = connection.export_table or "retain_account_health"
        if not re.match(TABLE_NAME, name):
            raise WarehouseError(f"export_table: {name!r} is not a plain table name")
        target = table(name)
        eng = engine(connection.url, connection.secret_env, read_only=False)
        try:
            target.metadata.create_all(eng, checkfirst=True)
            with session(eng, timeout=EXPORT_TIMEOUT, read_only=False) as conn:
                conn.execute(target.delete().where(target.c.workspace == workspace.slug).where(target.c.day == day))
                for start in range(0, len(rows), INSERT_CHUNK):
                    conn.execute(target.insert(), rows[start : start + INSERT_CHUNK])
        finally:
            eng.dispose()
    except WarehouseError as exc:
        error = str(exc)
    except (SQLAlchemyError, Exception) as exc:  # drivers raise their own types (duckdb.Error)
        orig = getattr(exc, "orig", None) or exc
        first = str(orig).strip().splitlines()
        error = f"the warehouse refused the export: {first[0] if first else type(orig).__name__}"
    run.finished_at = timezone.now()
    run.rows = 0 if error else len(rows)
    run.error = error
    run.save(update_fields=["finished_at", "rows", "error"])
    return run
