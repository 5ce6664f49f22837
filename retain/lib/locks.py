"""Long work that must not run twice at once (an import into one workspace), refused at the door.

The lock lives exactly as long as the process holding it: a crashed or killed import leaves nothing
behind to clean up. On SQLite it is an flock on a file beside the database file (every process
using that database sees it); on PostgreSQL a session advisory lock, released with the connection.
The second comer gets `Busy`, naming the holder where the database can tell, never a wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection


class Busy(Exception):
    """Somebody holds the lock; str() says who and since when, where known."""


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_path(name: str) -> Path:
    database = str(connection.settings_dict["NAME"])
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    # An in-memory database (the test suite's) has no file to sit beside and is this process's own:
    # so is its lock, in the data directory.
    if database.startswith("file:") or database == ":memory:":
        return Path(settings.DATA_DIR) / f"{safe}.{os.getpid()}.lock"
    return Path(f"{database}.{safe}.lock")


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the lock called `name` for the block, or raise Busy at once if another process holds it."""
    if connection.vendor == "postgresql":
        key = _advisory_key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (taken,) = cursor.fetchone()
        if not taken:
            raise Busy("held by another process")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    path = _lock_path(name)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise Busy(handle.read().strip() or "held by another process") from None
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        handle.seek(0)
        handle.truncate()
        handle.write(f"held by process {os.getpid()} since {since}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            if f".{os.getpid()}.lock" in path.name:
                path.unlink()  # this process's own lock (see _lock_path): nobody else can be waiting on it
            fcntl.flock(handle, fcntl.LOCK_UN)
