"""The raw references for `retain bench ingest`: the least a server can do to store the same rows.

`application` is a bare WSGI app (served by the same gunicorn as Retain) and `raw_asgi.app` a bare
Starlette app (served by uvicorn); both parse the batch with orjson, the JSON library Retain parses
with, and insert the same columns into the same table with the same unique key, with sqlite3 (or
psycopg) executemany and nothing else: no auth, no validation, no framework beyond the server.
Retain's figure is reported as a ratio of each, measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from typing import Any

import orjson

COLUMNS = (
    "workspace_id, message_id, type, name, user_id, anonymous_id, group_id, account_id, "
    "properties, timestamp, received_at, write_key_id"
)
SQL = (
    f"INSERT INTO usage_event ({COLUMNS}) VALUES ({', '.join(['{p}'] * 12)}) "
    "ON CONFLICT (workspace_id, message_id) DO NOTHING"
)
# On PostgreSQL, a migrated database keeps events partitioned by month and their dedup keys in a
# table of their own (retain/usage/partitions.py): the reference writes the key and the event in one
# statement, as Retain does, so both do the same work.
SQL_PARTITIONED = (
    "WITH new_key AS (INSERT INTO usage_event_key (workspace_id, message_id, month) VALUES (%s, %s, %s) "
    f"ON CONFLICT DO NOTHING RETURNING 1) INSERT INTO usage_event ({COLUMNS}) "
    f"SELECT {', '.join(['%s'] * 12)} FROM new_key"
)
WORKSPACE_ID = int(os.environ.get("RETAIN_BENCH_WORKSPACE_ID", "1"))
DATABASE = os.environ.get("RETAIN_BENCH_RAW_DATABASE", "")
POSTGRES = DATABASE.startswith("postgres")
_connection: Any = None
_partitioned = False


def _connect() -> Any:
    global _connection
    if _connection is None:
        url = DATABASE
        if POSTGRES:
            import psycopg

            global _partitioned
            _connection = psycopg.connect(url)
            _partitioned = _connection.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.relname = 'usage_event')"
            ).fetchone()[0]
            _connection.commit()  # else each batch's transaction() would be a savepoint in this one
        else:
            import sqlite3

            _connection = sqlite3.connect(url, isolation_level=None, check_same_thread=False)
            _connection.execute("PRAGMA journal_mode=WAL")
            _connection.execute("PRAGMA synchronous=NORMAL")
    return _connection


def store_batch(raw: bytes) -> bytes:
    """Parse one /v1/batch body, insert its calls, and return the answer's body."""
    connection = _connect()
    body = orjson.loads(raw)
    now = dt.datetime.now(dt.UTC)
    stamp = now if POSTGRES else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    rows = [
        (
            WORKSPACE_ID, call["messageId"], call.get("type", "track"), call.get("event", ""),
            str(call.get("userId", "")), "", (call.get("context") or {}).get("groupId", ""), None,
            orjson.dumps(call.get("properties") or {}).decode(), stamp, stamp, None,
        )
        for call in body["batch"]
    ]  # fmt: skip
    if POSTGRES:
        month = now.date().replace(day=1)
        with connection.transaction(), connection.cursor() as cursor:
            if _partitioned:
                cursor.executemany(SQL_PARTITIONED, [(row[0], row[1], month, *row) for row in rows])
            else:
                cursor.executemany(SQL.format(p="%s"), rows)
            inserted = cursor.rowcount
    else:
        connection.execute("BEGIN IMMEDIATE")
        inserted = connection.executemany(SQL.format(p="?"), rows).rowcount
        connection.execute("COMMIT")
    return orjson.dumps({"success": True, "accepted": inserted, "duplicates": len(rows) - inserted})


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    answer = store_batch(environ["wsgi.input"].read(length))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
