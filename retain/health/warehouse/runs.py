"""Running warehouse measures: fetch the SQL's rows, match them to accounts, store the day's values.

Every run leaves a WarehouseRun row, written when it starts and completed when it ends (rows
returned, matched, unmatched, the error). A real run stores all of its values in one transaction or
none: an SQL error, a timeout, a row over the limit or a bad value leaves the previous values as
they were. A preview runs the same SQL with a small row limit and stores nothing but its record.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from retain.accounts.models import Account
from retain.health.choices import MatchOn, WarehouseRunKind
from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseRun, WarehouseValue
from retain.health.warehouse.connect import Fetched, WarehouseError, fetch, ping
from retain.lib.dates import today_in
from retain.tenancy.models import Workspace

PREVIEW_ROWS = 200
UNMATCHED_SAMPLE = 20


@dataclass
class Matched:
    """A fetch's rows against the workspace's accounts."""

    values: dict[tuple[int, dt.date], float | None] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # what the preview shows
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)


def _column(columns: list[str], name: str, required: bool) -> int | None:
    lowered = [c.lower() for c in columns]
    if name in lowered:
        return lowered.index(name)
    if required:
        raise WarehouseError(
            f"column {name!r}: the query must return it (it returned {', '.join(columns) or 'no columns'})"
        )
    return None


def _day(raw: Any, line: int, default: dt.date) -> dt.date:
    if raw is None:
        return default
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise WarehouseError(f"row {line}, column 'day': {raw!r} is not a date") from None


def _number(raw: Any, line: int) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, (int, float, Decimal)):
        value = float(raw)
    else:
        try:
            value = float(str(raw))
        except ValueError:
            raise WarehouseError(f"row {line}, column 'value': {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise WarehouseError(f"row {line}, column 'value': {raw!r} is not a finite number")
    return value


def account_lookup(workspace: Workspace, match_on: str) -> dict[str, int]:
    """The workspace's accounts by external id or by domain (lower-cased, without a leading www.)."""
    accounts = Account.objects.filter(workspace=workspace)
    if match_on == MatchOn.DOMAIN:
        pairs = accounts.exclude(domain="").values_list("domain", "id")
        return {_domain(domain): pk for domain, pk in pairs}
    return dict(accounts.exclude(external_id="").values_list("external_id", "id"))


def _domain(value: str) -> str:
    value = value.strip().lower()
    return value[4:] if value.startswith("www.") else value


def match(workspace: Workspace, measure: WarehouseMeasure, fetched: Fetched, day: dt.date) -> Matched:
    account_at = _column(fetched.columns, "account", True)
    value_at = _column(fetched.columns, "value", True)
    day_at = _column(fetched.columns, "day", False)
    assert account_at is not None and value_at is not None
    lookup = account_lookup(workspace, measure.match_on)
    out = Matched()
    unmatched: dict[str, None] = {}
    for line, row in enumerate(fetched.rows, start=1):
        raw_account = "" if row[account_at] is None else str(row[account_at]).strip()
        key = _domain(raw_account) if measure.match_on == MatchOn.DOMAIN else raw_account
        value = _number(row[value_at], line)
        on = _day(row[day_at] if day_at is not None else None, line, day)
        account_id = lookup.get(key)
        out.rows.append({"account": raw_account, "day": on, "value": value, "matched": account_id is not None})
        if account_id is None:
            unmatched[raw_account] = None
            continue
        if (account_id, on) in out.values:
            raise WarehouseError(f"row {line}: account {raw_account!r} has a second value for {on.isoformat()}")
        out.values[(account_id, on)] = value
        out.matched += 1
    out.unmatched = list(unmatched)
    return out


def _start(
    workspace: Workspace, connection: WarehouseConnection, kind: str, measure: WarehouseMeasure | None
) -> WarehouseRun:
    return WarehouseRun.objects.create(
        workspace=workspace, connection=connection, measure=measure, kind=kind, started_at=timezone.now()
    )


def _finish(run: WarehouseRun, *, rows: int = 0, matched: Matched | None = None, error: str = "") -> WarehouseRun:
    run.finished_at = timezone.now()
    run.rows = rows
    run.error = error
    if matched is not None:
        unmatched_rows = sum(1 for row in matched.rows if not row["matched"])
        run.matched = matched.matched
        run.unmatched = unmatched_rows
        run.unmatched_sample = matched.unmatched[:UNMATCHED_SAMPLE]
    run.save(update_fields=["finished_at", "rows", "error", "matched", "unmatched", "unmatched_sample"])
    return run


def measure_run(*, workspace: Workspace, measure: WarehouseMeasure, day: dt.date | None = None) -> WarehouseRun:
    """Run one measure and store its values (all or none); returns the run record, error included."""
    if measure.workspace_id != workspace.pk:
        raise ValueError("the measure belongs to another workspace")
    day = day or today_in(workspace.time_zone)
    connection = measure.connection
    run = _start(workspace, connection, WarehouseRunKind.MEASURE, measure)
    try:
        fetched = fetch(
            connection.url,
            connection.secret_env,
            measure.sql,
            timeout=measure.timeout_seconds,
            row_limit=measure.row_limit,
        )
        matched = match(workspace, measure, fetched, day)
        with transaction.atomic():
            WarehouseValue.objects.bulk_create(
                [
                    WarehouseValue(workspace=workspace, measure=measure, account_id=account_id, day=on, value=value)
                    for (account_id, on), value in matched.values.items()
                ],
                update_conflicts=True,
                unique_fields=["measure", "account", "day"],
                update_fields=["value"],
                batch_size=1000,
            )
    except WarehouseError as exc:
        return _finish(run, error=str(exc))
    return _finish(run, rows=len(fetched.rows), matched=matched)


@dataclass
class Preview:
    run: WarehouseRun
    rows: list[dict[str, Any]]
    truncated: bool


def measure_preview(
    *,
    workspace: Workspace,
    connection: WarehouseConnection,
    sql: str,
    match_on: str,
    timeout: int,
    day: dt.date | None = None,
) -> Preview:
    """Run SQL with a row limit of PREVIEW_ROWS and show which rows match accounts; stores no values."""
    if connection.workspace_id != workspace.pk:
        raise ValueError("the connection belongs to another workspace")
    day = day or today_in(workspace.time_zone)
    run = _start(workspace, connection, WarehouseRunKind.PREVIEW, None)
    draft = WarehouseMeasure(workspace=workspace, connection=connection, sql=sql, match_on=match_on)
    try:
        fetched = fetch(
            connection.url, connection.secret_env, sql, timeout=timeout, row_limit=PREVIEW_ROWS, fail_over_limit=False
        )
        matched = match(workspace, draft, fetched, day)
    except WarehouseError as exc:
        return Preview(run=_finish(run, error=str(exc)), rows=[], truncated=False)
    return Preview(
        run=_finish(run, rows=len(fetched.rows), matched=matched), rows=matched.rows, truncated=fetched.truncated
    )


def connection_test(*, workspace: Workspace, connection: WarehouseConnection) -> WarehouseRun:
    run = _start(workspace, connection, WarehouseRunKind.TEST, None)
    try:
        ping(connection.url, connection.secret_env)
    except WarehouseError as exc:
        return _finish(run, error=str(exc))
    return _finish(run, rows=1)


def measures_run_all(*, workspace: Workspace, day: dt.date | None = None) -> list[WarehouseRun]:
    """Every enabled measure of the workspace (the scheduled job): one run record each."""
    measures = WarehouseMeasure.objects.filter(workspace=workspace, enabled=True).select_related("connection")
    return [measure_run(workspace=workspace, measure=measure, day=day) for measure in measures]
