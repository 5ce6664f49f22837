"""The PostgreSQL backup in docs/deploy.md round-trips: `pg_dump -Fc` of a live database, `pg_restore
--no-owner` into an empty one, and every table comes back with the same rows; Retain then reads
the restored database (a `retain shell` process pointed at it finds the workspace and its data)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from retain.accounts.services import account_create, contact_create
from retain.tenancy.services import workspace_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SECRET = "backup-test-secret-key-0123456789abcdef0123456789"


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (apt-get install postgresql-client)")
        pytest.skip(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables}  # type: ignore[index]


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"retain_restore_{uuid.uuid4().hex[:8]}"
    admin = _url(str(settings.DATABASES["default"]["NAME"]))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_pg_dump_and_restore_bring_back_every_row(tmp_path: Path, restored_name: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    workspace = workspace_create(name="Backed Up", slug="backed-up")
    for n in range(5):
        account = account_create(workspace=workspace, actor=None, via="test", name=f"Kept {n}", external_id=f"k{n}")
        contact_create(account=account, actor=None, via="test", email=f"person{n}@kept{n}.example", first_name="Pat")
    source = _url(str(settings.DATABASES["default"]["NAME"]))
    dump = tmp_path / "retain.dump"
    subprocess.run([pg_dump, "-Fc", "-f", str(dump), "--dbname", source], check=True, timeout=300)
    target = _url(restored_name)
    subprocess.run([pg_restore, "--no-owner", "--dbname", target, str(dump)], check=True, timeout=300)

    before, after = _counts(source), _counts(target)
    assert after == before
    assert before["accounts_account"] >= 5

    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"RETAIN_SECRET_KEY": SECRET, "RETAIN_DATABASE_URL": target, "RETAIN_DATA_DIR": str(tmp_path)})
    script = (
        "from retain.tenancy.models import Workspace\n"
        "ws = Workspace.objects.get(slug='backed-up')\n"
        "print(ws.name, ws.accounts.count(), sorted(ws.accounts.values_list('name', flat=True))[0])\n"
    )
    read = subprocess.run(
        [sys.executable, "-m", "retain.cli", "shell", "--no-imports", "-c", script],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert read.stdout.strip().splitlines()[-1] == "Backed Up 5 Kept 0"
