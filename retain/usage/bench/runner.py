"""`retain bench ingest`: Retain's ingest server against a raw sqlite3/psycopg reference, one run.

Both servers run under the same gunicorn (one sync worker pinned to core 0), loaded by wrk from
core 1 with the same Lua script; every messageId is unique, and afterwards the stored rows are
counted against what was acknowledged. No rollup job runs during the timed windows.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SECRET = "bench-only-secret-key-0123456789abcdefghijkl"
RESULT = re.compile(r"RESULT (.*)$", re.MULTILINE)


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    requests: int
    acked: int
    accepted: int
    duplicates: int
    non2xx: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pinned(core: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else argv


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


class Server:
    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = _free_port()
        argv = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
                "--backlog", "2048", "--log-level", "warning"]  # fmt: skip
        self.process = subprocess.Popen(_pinned(0, argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(self.port, self.process)

    def warm_up(self, key: str) -> None:
        """One untimed request: Django loads its URLconf and views on the first one, not at start."""
        auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/batch",
            data=b'{"batch": []}',
            headers={"Content-Type": "application/json", "Authorization": auth},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wrk(
    port: int, *, key: str, batch: int, connections: int, requests_per_thread: int, seconds: int, delay_ms: int = 0
) -> WrkResult:
    """Drive the server until every wrk thread has its share acknowledged (or `seconds` pass), then stop wrk.

    wrk's main thread sleeps the whole -d duration before reporting; SIGINT ends that sleep, so the
    reported duration is the real one. Requests in flight at that moment are neither counted as
    acknowledged nor lost: `lost` compares what was acknowledged with what is stored.
    """
    threads = min(2, connections)
    with tempfile.TemporaryDirectory(prefix="retain-wrk-") as done_dir:
        env = {**os.environ, "RETAIN_BENCH_KEY": key, "RETAIN_BENCH_BATCH": str(batch),
               "RETAIN_BENCH_REQUESTS": str(requests_per_thread), "RETAIN_BENCH_DELAY_MS": str(delay_ms),
               "RETAIN_BENCH_DONE_DIR": done_dir}  # fmt: skip
        argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                "-s", str(HERE / "ingest.lua"), f"http://127.0.0.1:{port}"]  # fmt: skip
        process = subprocess.Popen(_pinned(1, argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + seconds + 60
        while process.poll() is None and time.monotonic() < deadline:
            if len(os.listdir(done_dir)) >= threads:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise BenchError("wrk did not stop") from None
    match = RESULT.search(stdout)
    if match is None:
        raise BenchError(f"wrk failed ({process.returncode}): {stderr.strip() or stdout.strip()}")
    fields = dict(item.split("=") for item in match.group(1).split())
    return WrkResult(
        requests=int(fields["requests"]), acked=int(fields["acked"]), accepted=int(fields["accepted"]),
        duplicates=int(fields["duplicates"]), non2xx=int(fields["non2xx"]), errors=int(fields["errors"]),
        seconds=float(fields["seconds"]), p50_ms=float(fields["p50_ms"]), p99_ms=float(fields["p99_ms"]),
    )  # fmt: skip


def _retain(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "retain.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"retain {' '.join(args[:1])} failed: {done.stderr.strip()}")
    return done.stdout


SETUP = (
    "from retain.tenancy.services import workspace_create, write_key_create\n"
    "from retain.accounts.services import account_create\n"
    "ws = workspace_create(name='Bench', slug='bench')\n"
    "for i in range(20):\n"
    "    account_create(workspace=ws, actor=None, via='bench', name=f'Bench {i}', external_id=f'bench-{i}')\n"
    "print(ws.pk, write_key_create(workspace=ws, name='bench')[1])\n"
)


class Store:
    """A fresh database for one server: a SQLite file, or a PostgreSQL database made for the run."""

    def __init__(self, kind: str, folder: Path, name: str, postgres_url: str) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.path = folder / f"{name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg

            self.admin = postgres_url
            self.database = f"retain_bench_{name}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(postgres_url, autocommit=True) as db:
                db.execute(f'CREATE DATABASE "{self.database}"')
            base = postgres_url.rsplit("/", 1)[0]
            self.url = f"{base}/{self.database}"

    def count(self) -> tuple[int, int]:
        sql = "SELECT count(*), count(DISTINCT message_id) FROM usage_event"
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.path) as db:
                row = db.execute(sql).fetchone()
        else:
            import psycopg

            with psycopg.connect(self.url) as db:
                row = db.execute(sql).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self.admin, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _environment(folder: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({
        "RETAIN_DATA_DIR": str(folder), "RETAIN_SECRET_KEY": SECRET, "RETAIN_DATABASE_URL": database_url,
        "RETAIN_INGEST_RATE_PER_KEY": "1000000", "RETAIN_LOG_LEVEL": "WARNING",
    })  # fmt: skip
    return env


def run_ingest_bench(
    *, events: int, batch: int, connections: int, database: str, postgres_url: str, out: Any
) -> dict[str, Any]:
    """Run both servers and return the figures; `out` receives progress lines."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian package 'wrk': apt-get install wrk)")
    threads = min(2, connections)
    per_thread = max(1, events // batch // threads)
    budget = 300
    with tempfile.TemporaryDirectory(prefix="retain-bench-") as tmp:
        folder = Path(tmp)
        stores = {name: Store(database, folder, name, postgres_url) for name in ("retain", "raw")}
        try:
            envs = {name: _environment(folder, store.url) for name, store in stores.items()}
            for env in envs.values():
                _retain(env, "migrate", "--verbosity", "0")
            workspace_id, key = _retain(envs["retain"], "shell", "-c", SETUP).split()[-2:]
            _retain(envs["raw"], "shell", "-c", SETUP)

            total = per_thread * threads * batch
            out(f"Retain ingest ({database}): {total} events in batches of {batch}, {connections} connections")
            server = Server("retain.config.wsgi:application", envs["retain"])
            server.warm_up(key)
            try:
                saturated = wrk(
                    server.port,
                    key=key,
                    batch=batch,
                    connections=connections,
                    requests_per_thread=per_thread,
                    seconds=budget,
                )
                half_rate = saturated.requests_per_s / 2
                delay_ms = max(1, int(connections * 1000 / max(half_rate, 1)))
                paced = wrk(server.port, key=key, batch=batch, connections=connections,
                            requests_per_thread=max(1, per_thread // 4), seconds=budget, delay_ms=delay_ms)  # fmt: skip
            finally:
                server.stop()
            stored, distinct = stores["retain"].count()

            out("Raw reference: the same rows with executemany in a bare WSGI app")
            raw_database = str(stores["raw"].path) if database == "sqlite" else stores["raw"].url
            raw_env = {
                **envs["raw"],
                "RETAIN_BENCH_RAW_DATABASE": raw_database,
                "RETAIN_BENCH_WORKSPACE_ID": workspace_id,
                "PYTHONPATH": str(HERE),
            }
            raw_server = Server("raw_app:application", raw_env)
            raw_server.warm_up(key)
            try:
                raw = wrk(
                    raw_server.port,
                    key=key,
                    batch=batch,
                    connections=connections,
                    requests_per_thread=per_thread,
                    seconds=budget,
                )
            finally:
                raw_server.stop()
        finally:
            for store in stores.values():
                store.drop()
    acknowledged = saturated.accepted + paced.accepted
    events_per_s = saturated.acked * batch / saturated.seconds if saturated.seconds else 0.0
    raw_per_s = raw.acked * batch / raw.seconds if raw.seconds else 0.0
    return {
        "events_per_s": round(events_per_s),
        "p50_ms": round(paced.p50_ms, 1),
        "p99_ms": round(paced.p99_ms, 1),
        "saturated_p99_ms": round(saturated.p99_ms, 1),
        "half_rate_req_per_s": round(paced.requests_per_s, 1),
        "non_2xx": saturated.non2xx + paced.non2xx + saturated.errors + paced.errors,
        "lost": max(0, acknowledged - stored),
        "duplicates": stored - distinct,
        "raw_events_per_s": round(raw_per_s),
        "ratio": round(events_per_s / raw_per_s, 3) if raw_per_s else 0.0,
    }


def run_in_fresh_database(
    *, name: str, database: str, postgres_url: str, script: str, heading: str, out: Any
) -> dict[str, Any]:
    """Migrate a throwaway database, run `script` in a `retain shell` configured for it, drop it.

    The script calls a bench's `work(...)`, which prints its figures as one `RESULT {json}` line;
    its progress lines (stderr) go straight through.
    """
    import json

    with tempfile.TemporaryDirectory(prefix=f"retain-bench-{name}-") as tmp:
        folder = Path(tmp)
        try:
            store = Store(database, folder, name, postgres_url)
        except Exception as exc:  # a PostgreSQL server that is not there
            raise BenchError(f"cannot create the bench database: {exc}") from None
        try:
            env = _environment(folder, store.url)
            _retain(env, "migrate", "--verbosity", "0")
            out(heading)
            done = subprocess.run(
                [sys.executable, "-m", "retain.cli", "shell", "-c", script],
                env=env,
                stdout=subprocess.PIPE,
                stderr=None,
                text=True,
                check=False,
            )
        finally:
            store.drop()
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"the bench run failed (exit {done.returncode}); its errors are above")
    figures: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return figures
