"""Real Retain processes in tests: an embedded (SQLite) database migrated once per run.

Tests that start `retain web`, `retain serve`, workers or scans as separate processes need a migrated
database file of their own. Migrating one from nothing costs 15–20 s of CPU on these machines, and
several modules did it each; `migrated_data_dir` migrates once per test run (the first xdist worker
to get here holds a lock while the others wait) into a template keyed by the migration files, and
gives each caller a consistent copy made with SQLite's backup API.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATE_TIMEOUT = 900  # bounds a migrate that hangs on a loaded machine; not a wait


def _migrations_key() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "retain").glob("*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _template(base: Path) -> Path:
    """The migrated template for this checkout's migrations, made if missing."""
    folder = base / f"retain-migrated-{_migrations_key()}"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "retain.sqlite3"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            work = Path(tempfile.mkdtemp(prefix="migrate-", dir=folder))
            env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
            env.update({"RETAIN_DATA_DIR": str(work), "RETAIN_SECRET_KEY": "migrate-template-key-0123456789abcdef012"})
            subprocess.run(
                [sys.executable, "-m", "retain.cli", "migrate", "--verbosity", "0"],
                env=env, check=True, timeout=MIGRATE_TIMEOUT,
            )  # fmt: skip
            _copy(work / "retain.sqlite3", database)
            (folder / "done").write_text("ok")
    return database


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def migrated_data_dir(data_dir: Path, shared_base: Path) -> Path:
    """Put a migrated `retain.sqlite3` into `data_dir` (RETAIN_DATA_DIR) and return the database's path.

    `shared_base` is a folder every xdist worker of this run sees, e.g.
    `tmp_path_factory.getbasetemp().parent`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "retain.sqlite3"
    _copy(_template(shared_base), target)
    return target
