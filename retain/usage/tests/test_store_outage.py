"""PostgreSQL stopped under a running ingest server: 503 with Retry-After, then recovery, nothing lost.

The test starts a PostgreSQL cluster of its own (initdb into a temporary folder, on a free port),
so stopping it with `pg_ctl stop -m immediate` — the nearest thing to pulling the plug — harms no
other test. A real gunicorn server runs Retain against it; a client sends batches before, during
and after the outage and resends whatever was not acknowledged, as Segment's clients do.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from retain.usage.tests.test_faults import SECRET, Server, _free_port

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; under root (CI here) the cluster belongs to `postgres`.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class Cluster:
    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir, self.data, self.port = bindir, folder / "data", _free_port()
        self.log = folder / "postgres.log"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            _as_postgres([str(self.bindir / tool), *args]), capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, f"{tool} failed: {done.stderr or done.stdout}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        # Immediate: no checkpoint, connections cut — what a crash or power loss looks like to a client.
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bindir = _postgres_bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are needed under CI")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="retain-outage-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bindir, folder)
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _post(url: str, key: str, calls: list[dict[str, Any]]) -> tuple[int, dict[str, Any], str | None]:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    request = urllib.request.Request(
        url,
        data=json.dumps({"batch": calls}).encode(),
        headers={"Content-Type": "application/json", "Authorization": auth},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.load(response), response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), error.headers.get("Retry-After")


def _batch(number: int) -> list[dict[str, Any]]:
    return [
        {"type": "track", "userId": f"u{i}", "event": "Signed In", "messageId": f"b{number}-e{i}"} for i in range(25)
    ]


def test_a_stopped_database_gets_503_with_retry_after_and_nothing_is_lost(cluster: Cluster, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_SECRET_KEY": SECRET, "RETAIN_DATABASE_URL": cluster.url})
    setup = (
        "from retain.tenancy.services import workspace_create, write_key_create;"
        "ws = workspace_create(name='Outage', slug='outage');"
        "print(write_key_create(workspace=ws, name='k')[1])"
    )
    for args in (["migrate", "--verbosity", "0"], ["shell", "-c", setup]):
        done = subprocess.run([sys.executable, "-m", "retain.cli", *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    server = Server(env, _free_port(), tmp_path / "server.log")
    server.start()
    server.wait_ready()
    url = f"http://127.0.0.1:{server.port}/v1/batch"
    try:
        status, answer, _ = _post(url, key, _batch(1))
        assert (status, answer["accepted"]) == (200, 25)

        cluster.stop()
        status, answer, retry_after = _post(url, key, _batch(2))
        assert status == 503
        assert retry_after is not None and int(retry_after) > 0
        assert "retry" in answer["error"]

        cluster.start()
        status, answer, _ = _post(url, key, _batch(2))
        assert (status, answer["accepted"], answer["duplicates"]) == (200, 25, 0)
        # A client that never saw the first acknowledgement resends it: counted, not stored again.
        status, answer, _ = _post(url, key, _batch(1))
        assert (status, answer["accepted"], answer["duplicates"]) == (200, 0, 25)
    finally:
        server.kill()
    with psycopg.connect(cluster.url) as db:
        row = db.execute("select count(*), count(distinct message_id) from usage_event").fetchone()
    assert row == (50, 50)
