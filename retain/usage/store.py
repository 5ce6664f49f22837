"""The ingest hot path: accepted events go into usage_event with one multi-row statement.

The ORM's bulk_create builds a model instance per row and is several times slower than the
database needs; here rows are adapted once and inserted with executemany, and `ON CONFLICT DO
NOTHING` on (workspace, message_id) makes a resent event a counted duplicate instead of a second row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection

from retain.usage.events import STORED_TYPES, Event

INSERT = (
    "INSERT INTO usage_event (workspace_id, message_id, type, name, user_id, anonymous_id, group_id, account_id, "
    "properties, timestamp, received_at, write_key_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (workspace_id, message_id) DO NOTHING"
)


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
    ops = connection.ops
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
            ops.adapt_json_value(event.properties if event.type in STORED_TYPES else event.traits, None),
            ops.adapt_datetimefield_value(event.timestamp),
            ops.adapt_datetimefield_value(event.received_at),
            write_key_id,
        )
        for event in events
    ]
    with connection.cursor() as cursor:
        cursor.executemany(INSERT, rows)
        inserted = cursor.rowcount
    return Stored(inserted=inserted, duplicates=len(events) - inserted)
