"""Warehouse connections: URL checks, engines, read-only fetches with a timeout and a row limit.

A connection is a SQLAlchemy URL kept without its password; the password is read at connect time
from the environment variable the connection names, so no warehouse credential is stored in
Retain's database. PostgreSQL and DuckDB are exercised by the tests; Snowflake, BigQuery and
Redshift are accepted by their URL schemes and need their SQLAlchemy dialect package installed.

Read-only: PostgreSQL and Redshift run every measure in a `READ ONLY` transaction and DuckDB opens
the file read-only; Snowflake and BigQuery have no such switch, so give Retain a role that can
only read. Timeouts: PostgreSQL and Redshift get a `statement_timeout`, Snowflake
`STATEMENT_TIMEOUT_IN_SECONDS`; on every dialect a watchdog also cancels the statement from the
outside when the time is up (DuckDB's interrupt, psycopg's cancel).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

# URL scheme (the backend before any "+driver") → what people call it, and the package it needs.
DIALECTS: dict[str, tuple[str, str]] = {
    "postgresql": ("PostgreSQL", "psycopg (installed)"),
    "duckdb": ("DuckDB", "duckdb-engine (installed)"),
    "snowflake": ("Snowflake", "snowflake-sqlalchemy"),
    "bigquery": ("BigQuery", "sqlalchemy-bigquery"),
    "redshift": ("Redshift", "sqlalchemy-redshift"),
}
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class WarehouseError(Exception):
    """Something a person can fix: a bad URL, a missing secret, an SQL error, a timeout, too many rows."""


@dataclass(frozen=True)
class Fetched:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool  # more rows than the limit came back (only when asked not to fail)


def check_url(url: str) -> str | None:
    """The problem with a connection URL, or None. Passwords belong in an environment variable."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return "is not a SQLAlchemy URL (dialect://user@host/database)"
    backend = parsed.get_backend_name()
    if backend not in DIALECTS:
        return f"dialect {backend!r} is not supported (supported: {', '.join(sorted(DIALECTS))})"
    if parsed.password:
        return "holds a password: leave it out and name the environment variable that holds it instead"
    if backend == "duckdb" and (not parsed.database or parsed.database == ":memory:"):
        return "a DuckDB URL needs a file path: duckdb:////path/to/warehouse.duckdb"
    if backend in ("postgresql", "redshift", "snowflake") and not parsed.host:
        return f"a {DIALECTS[backend][0]} URL needs a host"
    return None


def check_secret_env(name: str) -> str | None:
    if name and not ENV_NAME.match(name):
        return "must be an environment variable name: capital letters, digits and underscores"
    return None


def dialect_label(url: str) -> str:
    try:
        return DIALECTS[make_url(url).get_backend_name()][0]
    except (ArgumentError, KeyError):
        return "unknown"


def full_url(url: str, secret_env: str) -> URL:
    parsed = make_url(url.strip())
    if secret_env:
        secret = os.environ.get(secret_env)
        if secret is None:
            raise WarehouseError(
                f"the environment variable {secret_env} (the connection's password) is not set for this process"
            )
        parsed = parsed.set(password=secret)
    return parsed


def engine(url: str, secret_env: str = "", *, read_only: bool) -> Engine:
    problem = check_url(url)
    if problem:
        raise WarehouseError(f"url: {problem}")
    parsed = full_url(url, secret_env)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "duckdb" and read_only:
        connect_args["read_only"] = True
    try:
        return sa.create_engine(parsed, poolclass=sa.pool.NullPool, connect_args=connect_args)
    except (NoSuchModuleError, ModuleNotFoundError):
        name, package = DIALECTS[backend]
        raise WarehouseError(f"the {name} dialect is not installed on this server: pip install {package}") from None


def _cancel(connection: Connection) -> None:
    """Stop the statement running on `connection` from another thread, however the driver allows."""
    raw: Any = connection.connection.dbapi_connection
    for name in ("interrupt", "cancel"):
        stop = getattr(raw, name, None)
        if stop is None and hasattr(raw, "_ConnectionWrapper__c"):  # duckdb-engine's wrapper
            stop = getattr(raw._ConnectionWrapper__c, name, None)
        if callable(stop):
            with suppress(Exception):  # the statement may just have finished
                stop()
            return


@contextmanager
def session(eng: Engine, *, timeout: float, read_only: bool) -> Iterator[Connection]:
    """A transaction on `eng`: read-only where the dialect allows, statements limited to `timeout` s."""
    backend = eng.url.get_backend_name()
    with eng.connect() as connection, connection.begin():
        millis = int(timeout * 1000)
        if backend in ("postgresql", "redshift"):
            if read_only:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")
        elif backend == "snowflake":
            seconds = max(1, int(timeout))
            connection.exec_driver_sql(f"ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = {seconds}")
        yield connection


def _message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def fetch(
    url: str, secret_env: str, sql: str, *, timeout: float, row_limit: int, fail_over_limit: bool = True
) -> Fetched:
    """Run `sql` read-only and return at most `row_limit` rows.

    Over the limit: a WarehouseError when `fail_over_limit` (a measure never stores a cut-off
    answer), else the first `row_limit` rows marked truncated (the preview).
    """
    if not sql.strip():
        raise WarehouseError("sql: is empty")
    eng = engine(url, secret_env, read_only=True)
    timer: threading.Timer | None = None
    expired = threading.Event()
    try:
        with session(eng, timeout=timeout, read_only=True) as connection:

            def stop() -> None:
                expired.set()
                _cancel(connection)

            timer = threading.Timer(timeout, stop)
            timer.daemon = True
            timer.start()
            result = connection.exec_driver_sql(sql.strip().rstrip(";"))
            if not result.returns_rows:
                raise WarehouseError("sql: returns no rows (a measure is a SELECT)")
            columns = [str(name) for name in result.keys()]  # noqa: SIM118 - a result is not a mapping
            rows = [tuple(row) for row in result.fetchmany(row_limit + 1)]
            timer.cancel()
    except WarehouseError:
        raise
    except (SQLAlchemyError, RuntimeError) as exc:
        if expired.is_set() or "statement timeout" in str(exc).lower() or "interrupt" in str(exc).lower():
            raise WarehouseError(f"the query ran longer than its timeout of {timeout:g} s and was stopped") from None
        raise WarehouseError(f"the warehouse refused the query: {_message(exc)}") from None
    except Exception as exc:  # drivers raise their own types (duckdb.Error is not a DBAPIError subclass)
        if expired.is_set():
            raise WarehouseError(f"the query ran longer than its timeout of {timeout:g} s and was stopped") from None
        raise WarehouseError(f"the warehouse refused the query: {_message(exc)}") from None
    finally:
        if timer is not None:
            timer.cancel()
        eng.dispose()
    truncated = len(rows) > row_limit
    if truncated and fail_over_limit:
        raise WarehouseError(f"the query returned more than its row limit of {row_limit:,} rows; nothing was stored")
    return Fetched(columns=columns, rows=rows[:row_limit], truncated=truncated)


def ping(url: str, secret_env: str, *, timeout: float = 15) -> str:
    """Connect and run SELECT 1; returns what answered (the dialect), or raises WarehouseError."""
    fetched = fetch(url, secret_env, "SELECT 1 AS ok", timeout=timeout, row_limit=1)
    if not fetched.rows or fetched.rows[0][0] != 1:
        raise WarehouseError("the warehouse answered SELECT 1 with something else")
    return dialect_label(url)


__all__ = ["DIALECTS", "DBAPIError", "Fetched", "WarehouseError", "check_secret_env", "check_url", "fetch", "ping"]
