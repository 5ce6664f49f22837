"""The ingest hot path: accepted events go into usage_event with one multi-row statement.

The ORM's bulk_create builds a model instance per row and is several times slower than the
database needs; here rows are adapted once and inserted with executemany, and `ON CONFLICT DO
NOTHING` on (workspace, message_id) makes a resent event a counted duplicate instead of a second row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection

from retain.usage import partitions
from retain.usage.events import STORED_TYPES, Event

INSERT = (
    "INSERT INTO usage_event (workspace_id, message_id, type, name, user_id, anonymous_id, group_id, account_id, "
    "properties, timestamp, received_at, write_key_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (workspace_id, message_id) DO NOTHING"
)
INSERT_QMARK = INSERT.replace("%s", "?")
# Events partitioned by month on PostgreSQL (usage/partitions.py): the dedup key goes into its own
# table first, and the event is written only when its key was new, in the same statement.
INSERT_PARTITIONED = (
    "WITH new_key AS (INSERT INTO usage_event_key (workspace_id, message_id, month) VALUES (%s, %s, %s) "
    "ON CONFLICT DO NOTHING RETURNING 1) "
    "INSERT INTO usage_event (workspace_id, message_id, type, name, user_id, anonymous_id, group_id, account_id, "
    "properties, timestamp, received_at, write_key_id) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM new_key"
)


def _sqlite_time(value: dt.datetime) -> str:
    # What Django's SQLite backend stores for an aware datetime: naive UTC, ISO with a space.
    if value.tzinfo is dt.UTC:
        # Validated times are already UTC: the same text, less its "+00:00".
        return value.isoformat(" ")[:-6]
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _adapters() -> tuple[Callable[[Any], Any], Callable[[dt.datetime], Any]]:
    """Column adapters for this connection, the same values the ORM would bind, without its per-row cost."""
    if connection.vendor == "sqlite":
        return _json_text, _sqlite_time
    from psycopg.types.json import Jsonb

    def as_jsonb(value: Any) -> Any:
        return Jsonb(value, dumps=_json_text)

    return as_jsonb, lambda value: value


@dataclass(frozen=True)
class Stored:
    inserted: int
    duplicates: int


def insert_events(
    workspace_id: int, write_key_id: int | None, events: Sequence[Event], accounts: Mapping[int, int]
) -> Stored:
    """Insert events inside the caller's transaction; returns how many were new.

    `accounts` maps an event's batch index to its account id, where it is known.
    """
    if not events:
        return Stored(0, 0)
    as_json, adapt_time = _adapters()
    # One request's events share their receipt time, and an event sent without a timestamp has
    # that time too: each distinct time is adapted once.
    adapted: dict[dt.datetime, Any] = {}

    def as_time(value: dt.datetime) -> Any:
        found = adapted.get(value)
        if found is None:
            found = adapted[value] = adapt_time(value)
        return found

    rows = [
        (
            workspace_id,
            event.message_id,
            event.type,
            event.name,
            event.user_id,
            event.anonymous_id,
            event.group_id,
            accounts.get(event.index),
            # identify and group calls carry traits where track and page carry properties.
            as_json(event.properties if event.type in STORED_TYPES else event.traits),
            as_time(event.timestamp),
            as_time(event.received_at),
            write_key_id,
        )
        for event in events
    ]
    if connection.vendor == "sqlite":
        # The driver's own executemany: Django's cursor wrapper re-reads every row through an
        # iterator copy to look for named parameters. Its error mapping is kept (DataError etc.).
        connection.ensure_connection()
        with connection.wrap_database_errors:
            inserted = connection.connection.executemany(INSERT_QMARK, rows).rowcount
    elif partitions.is_partitioned():
        keyed = [
            (row[0], row[1], partitions.month_of(event.timestamp), *row)
            for row, event in zip(rows, events, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.executemany(INSERT_PARTITIONED, keyed)
            inserted = cursor.rowcount
    else:
        with connection.cursor() as cursor:
            cursor.executemany(INSERT, rows)
            inserted = cursor.rowcount
    return Stored(inserted=inserted, duplicates=len(events) - inserted)
