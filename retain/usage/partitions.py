"""Raw events on PostgreSQL, range-partitioned by month of the event's time.

`usage_event` becomes a partitioned table (migration 0004 converts an existing one, rows and all):
one partition per calendar month of `timestamp` (`usage_event_p2026_11`), created a few months ahead
by the nightly job, and a default partition for events whose month has none (a device with its clock
in 2099, or a history import of months before the conversion). SQLite keeps one table.

The dedup key. A unique index on a partitioned table must contain the partition key, and a resent
event may carry another timestamp, so (workspace, message_id) cannot be unique on the events
themselves. The keys live in their own unpartitioned table, `usage_event_key` (primary key
workspace_id, message_id, plus the month the event went to), and the store inserts the key and the
event in one statement: the event is written only when its key was new (`WITH key AS (INSERT …
ON CONFLICT DO NOTHING RETURNING …) INSERT … SELECT … FROM key`), so a duplicate is refused by the
key's primary key under any concurrency, exactly as the unique constraint did.

Retention drops whole months: a partition whose month ended before every workspace's retention
cutoff, and whose events every workspace has folded, is detached and dropped (one catalogue change
instead of a row-by-row delete); its keys are then deleted in chunks by month (a narrow table).
Rows older than the cutoff in the default partition still go row by row (`rollups.events_expire`).

Which readers touch which partitions: the measures read daily rollups, not events; a rebuild, the
retention delete and per-day look-ups filter on `timestamp`, so PostgreSQL reads only the months
they cover. The fold reads new events by id (its watermark), which each partition answers from its
own (workspace_id, id) index: one index probe per partition per chunk, not a scan.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction

log = logging.getLogger(__name__)

TABLE = "usage_event"
KEYS = "usage_event_key"
DEFAULT = "usage_event_default"
MONTHS_AHEAD = 3
KEY_CHUNK = 20_000
LOCK_TIMEOUT = "5s"  # a partition drop waits this long for the table's lock, then tries again tomorrow

INDEXES = (
    f'CREATE INDEX "usage_event_ws_time" ON {TABLE} (workspace_id, "timestamp")',
    f'CREATE INDEX "usage_event_account_time" ON {TABLE} (account_id, "timestamp")',
    f'CREATE INDEX "usage_event_ws_id" ON {TABLE} (workspace_id, id)',
    f'CREATE INDEX "usage_event_orphan_group" ON {TABLE} (workspace_id, group_id) WHERE account_id IS NULL',
    f'CREATE INDEX "usage_event_orphan_user" ON {TABLE} (workspace_id, user_id) WHERE account_id IS NULL',
    f'CREATE INDEX "usage_event_write_key" ON {TABLE} (write_key_id)',
)


def partition_name(month: dt.date) -> str:
    return f"usage_event_p{month.year:04d}_{month.month:02d}"


def month_of(moment: dt.datetime | dt.date) -> dt.date:
    return dt.date(moment.year, moment.month, 1)


def is_partitioned(using: Any = None) -> bool:
    """Whether this connection's `usage_event` is partitioned (remembered per connection)."""
    conn: Any = using or connection
    if conn.vendor != "postgresql":
        return False
    known = getattr(conn, "_retain_events_partitioned", None)
    if known is None:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace)",
                [TABLE],
            )
            known = bool(cursor.fetchone()[0])
        conn._retain_events_partitioned = known
    return bool(known)


def forget(using: Any = None) -> None:
    """After converting: the next `is_partitioned` asks the catalogue again."""
    conn: Any = using or connection
    if hasattr(conn, "_retain_events_partitioned"):
        del conn._retain_events_partitioned


def _bounds(start: dt.date, end: dt.date) -> str:
    # Months in UTC, whatever the session's time zone.
    return f"FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"


def _create_month(cursor: Any, month: dt.date) -> bool:
    """Create the month's partition if missing, moving its rows out of the default partition first."""
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return False
    start, end = month, month + relativedelta(months=1)
    cursor.execute(f'CREATE TABLE "{name}" (LIKE {TABLE} INCLUDING DEFAULTS)')
    cursor.execute(
        f'WITH moved AS (DELETE FROM {DEFAULT} WHERE "timestamp" >= %s AND "timestamp" < %s RETURNING *) '
        f'INSERT INTO "{name}" SELECT * FROM moved',
        [start, end],
    )
    cursor.execute(f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" FOR VALUES {_bounds(start, end)}')
    return True


def months_ensure(*, today: dt.date, ahead: int = MONTHS_AHEAD, since: dt.date | None = None) -> list[str]:
    """Partitions for this month and `ahead` more (the nightly job): ingest never waits for DDL.

    With `since`, also every month from its month on (a bulk load of past events goes into monthly
    partitions rather than the default one).
    """
    if not is_partitioned():
        return []
    created = []
    month = month_of(min(since or today, today))
    last = month_of(today) + relativedelta(months=ahead)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('retain.usage.partitions'))")
        while month <= last:
            if _create_month(cursor, month):
                created.append(partition_name(month))
            month += relativedelta(months=1)
    return created


@dataclass(frozen=True)
class Dropped:
    partitions: list[str]
    keys_deleted: int


def months_drop_expired(*, cutoff: dt.date) -> Dropped:
    """Drop every monthly partition that ends on or before `cutoff` and holds no unfolded event."""
    if not is_partitioned():
        return Dropped([], 0)
    dropped: list[str] = []
    keys = 0
    for name, month in _monthly_partitions():
        if month + relativedelta(months=1) > cutoff:
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            cursor.execute(
                f'SELECT EXISTS (SELECT 1 FROM "{name}" e LEFT JOIN usage_rollupstate s '
                "ON s.workspace_id = e.workspace_id WHERE s.last_event_id IS NULL OR e.id > s.last_event_id)"
            )
            if cursor.fetchone()[0]:
                log.info("kept %s: it holds events not folded yet", name)
                continue
            cursor.execute(f'ALTER TABLE {TABLE} DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
        dropped.append(name)
        keys += _keys_delete(month)
    return Dropped(dropped, keys)


def _keys_delete(month: dt.date) -> int:
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {KEYS} WHERE ctid IN (SELECT ctid FROM {KEYS} WHERE month = %s LIMIT %s)",
                [month, KEY_CHUNK],
            )
            count = cursor.rowcount
        deleted += count
        if count < KEY_CHUNK:
            return deleted


def _monthly_partitions() -> list[tuple[str, dt.date]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    for name in names:
        if name.startswith("usage_event_p") and len(name) == len("usage_event_p2026_11"):
            year, month = int(name[13:17]), int(name[18:20])
            found.append((name, dt.date(year, month, 1)))
    return found


def partitions_list() -> list[tuple[str, int]]:
    """(partition, rows) for the admin and the tests, oldest first, the default last."""
    if not is_partitioned():
        return []
    rows = []
    with connection.cursor() as cursor:
        for name, _ in _monthly_partitions():
            cursor.execute(f'SELECT count(*) FROM "{name}"')
            rows.append((name, int(cursor.fetchone()[0])))
        cursor.execute(f"SELECT count(*) FROM {DEFAULT}")
        rows.append((DEFAULT, int(cursor.fetchone()[0])))
    return rows


# The conversion (migration 0004, and its reverse) --------------------------------------------------


def convert(schema_editor: Any, *, today: dt.date) -> None:
    """Turn a plain `usage_event` into the partitioned one, keeping every row, id and foreign key."""
    with schema_editor.connection.cursor() as cursor:
        # Checks deferred earlier in the migration's transaction run now, not on the tables being moved.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO usage_event_plain")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'usage_event_plain'::regclass AND contype = 'f'"
        )
        foreign_keys = cursor.fetchall()
        cursor.execute('SELECT coalesce(max(id), 0), min("timestamp"), max("timestamp") FROM usage_event_plain')
        high, first, last = cursor.fetchone()
        # Index and constraint names are per schema: free them for the new table.
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'usage_event_plain'::regclass AND NOT i.indisprimary AND NOT i.indisunique"
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
        cursor.execute("ALTER TABLE usage_event_plain ALTER COLUMN id DROP IDENTITY IF EXISTS")
        cursor.execute(
            f'CREATE TABLE {TABLE} (LIKE usage_event_plain INCLUDING DEFAULTS) PARTITION BY RANGE ("timestamp")'
        )
        cursor.execute(
            f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {high + 1})"
        )
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT usage_event_pk PRIMARY KEY (id, "timestamp")')
        cursor.execute(f"CREATE TABLE {DEFAULT} PARTITION OF {TABLE} DEFAULT")
        months = {month_of(today) + relativedelta(months=step) for step in range(MONTHS_AHEAD + 1)}
        if first is not None:
            month = month_of(first)
            while month <= month_of(last):
                months.add(month)
                month += relativedelta(months=1)
        for month in sorted(months):
            start, end = month, month + relativedelta(months=1)
            cursor.execute(
                f'CREATE TABLE "{partition_name(month)}" PARTITION OF {TABLE} FOR VALUES {_bounds(start, end)}'
            )
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM usage_event_plain")
        cursor.execute(
            f"CREATE TABLE {KEYS} (workspace_id bigint NOT NULL REFERENCES tenancy_workspace (id) "
            "ON DELETE CASCADE, message_id varchar(200) NOT NULL, "
            "month date NOT NULL, PRIMARY KEY (workspace_id, message_id))"
        )
        cursor.execute(f"CREATE INDEX usage_event_key_month ON {KEYS} (month)")
        cursor.execute(
            f"INSERT INTO {KEYS} (workspace_id, message_id, month) "
            "SELECT workspace_id, message_id, date_trunc('month', \"timestamp\" AT TIME ZONE 'UTC')::date "
            "FROM usage_event_plain"
        )
        cursor.execute("DROP TABLE usage_event_plain")
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        for statement in INDEXES:
            cursor.execute(statement)
    forget(schema_editor.connection)


def convert_back(schema_editor: Any) -> None:
    """The reverse: one plain table again, with the unique (workspace, message_id) constraint."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE conrelid = '{TABLE}'::regclass AND contype = 'f'"
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}")
        high = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO usage_event_partitioned")
        for statement in INDEXES:
            name = statement.split('"')[1]
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        for name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE usage_event_partitioned DROP CONSTRAINT "{name}"')
        cursor.execute("ALTER TABLE usage_event_partitioned ALTER COLUMN id DROP IDENTITY IF EXISTS")
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE usage_event_partitioned INCLUDING DEFAULTS)")
        cursor.execute(
            f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {high + 1})"
        )
        cursor.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM usage_event_partitioned")
        cursor.execute("DROP TABLE usage_event_partitioned")
        cursor.execute(f"DROP TABLE {KEYS}")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT usage_event_unique_message UNIQUE (workspace_id, message_id)"
        )
        for name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        for statement in INDEXES:
            if "usage_event_ws_id" in statement:
                continue
            cursor.execute(statement)
    forget(schema_editor.connection)
