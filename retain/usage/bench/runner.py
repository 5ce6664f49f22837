"""`retain bench ingest`: Retain's ingest server against two raw references, one run.

Retain and the raw WSGI reference run under the same gunicorn (one sync worker pinned to core 0),
the raw ASGI reference under uvicorn (one worker, the same core); wrk loads each from core 1 with
the same Lua script. Every messageId is unique, and afterwards each database's stored rows are
counted against what its server acknowledged. No rollup job runs during the timed windows.
"""

from __future__ import annotations

import base64
import functools
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
    """One server process on a free port, pinned to core 0: `argv` gets `{port}` filled in.

    Its output goes to `log` (a file, never an unread pipe, which would block a server that logs
    much), and the last lines of it are part of any error about it.
    """

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.log = log
        argv = [part.format(port=self.port) for part in argv]
        with log.open("wb") as output:
            self.process = subprocess.Popen(_pinned(0, argv), env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_for(self.port, self.process)
        except BenchError as exc:
            self.stop()
            raise BenchError(f"{exc}{self.tail()}") from None

    def tail(self) -> str:
        lines = self.log.read_text(errors="replace").strip().splitlines()[-15:]
        return ("; its last output:\n" + "\n".join(lines)) if lines else ""

    @classmethod
    def gunicorn(cls, app: str, env: dict[str, str], log: Path) -> Server:
        # A generous worker timeout: on a busy machine the first request (Django loading its views)
        # may take longer than gunicorn's default 30 s.
        argv = [sys.executable, "-m", "gunicorn", app, "--bind", "127.0.0.1:{port}", "--workers", "1",
                "--backlog", "2048", "--timeout", "300", "--log-level", "warning"]  # fmt: skip
        return cls(argv, env, log)

    @classmethod
    def uvicorn(cls, app: str, env: dict[str, str], log: Path) -> Server:
        argv = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}", "--workers", "1",
                "--loop", "uvloop", "--http", "httptools", "--backlog", "2048", "--log-level", "warning",
                "--no-access-log"]  # fmt: skip
        return cls(argv, env, log)

    def warm_up(self, key: str) -> None:
        """One untimed request: Django loads its URLconf and views on the first one, not at start."""
        auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/batch",
            data=b'{"batch": []}',
            headers={"Content-Type": "application/json", "Authorization": auth},
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                response.read()
        except OSError as exc:  # urllib's HTTPError and URLError, and timeouts
            raise BenchError(f"the first request to the server failed: {exc}{self.tail()}") from None

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

    def clone(self, folder: Path, name: str, postgres_url: str) -> Store:
        """A copy of this migrated, set-up database: a file copy, or a PostgreSQL database with it as template."""
        if self.kind == "sqlite":
            import sqlite3

            copy = Store(self.kind, folder, name, postgres_url)
            with sqlite3.connect(self.path) as source, sqlite3.connect(copy.path) as target:
                source.backup(target)
            return copy
        copy = Store.__new__(Store)
        copy.kind, copy.admin = self.kind, self.admin
        copy.database = f"retain_bench_{name}_{uuid.uuid4().hex[:8]}"
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{copy.database}" TEMPLATE "{self.database}"')
        copy.url = f"{self.admin.rsplit('/', 1)[0]}/{copy.database}"
        return copy

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


def _events_per_s(result: WrkResult, batch: int) -> float:
    return result.acked * batch / result.seconds if result.seconds else 0.0


def _check_reference(name: str, result: WrkResult, store: Store) -> None:
    """A reference is only a reference if it stored every row it acknowledged, once."""
    stored, distinct = store.count()
    if result.non2xx or result.errors:
        raise BenchError(f"the {name} reference answered {result.non2xx} non-2xx and {result.errors} errors")
    if stored < result.accepted or stored != distinct:
        raise BenchError(
            f"the {name} reference acknowledged {result.accepted} rows but stored {stored} ({distinct} distinct)"
        )


def run_ingest_bench(
    *, events: int, batch: int, connections: int, database: str, postgres_url: str, out: Any
) -> dict[str, Any]:
    """Run Retain and both references and return the figures; `out` receives progress lines."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian package 'wrk': apt-get install wrk)")
    threads = min(2, connections)
    per_thread = max(1, events // batch // threads)
    budget = 300
    with tempfile.TemporaryDirectory(prefix="retain-bench-") as tmp:
        folder = Path(tmp)
        stores = {"retain": Store(database, folder, "retain", postgres_url)}
        try:
            env = _environment(folder, stores["retain"].url)
            _retain(env, "migrate", "--verbosity", "0")
            workspace_id, key = _retain(env, "shell", "-c", SETUP).split()[-2:]
            # The references write into copies of the same migrated database, with the same workspace.
            for name in ("raw", "raw_asgi"):
                stores[name] = stores["retain"].clone(folder, name, postgres_url)

            total = per_thread * threads * batch
            out(f"Retain ingest ({database}): {total} events in batches of {batch}, {connections} connections")
            load = functools.partial(wrk, key=key, batch=batch, connections=connections, seconds=budget)
            server = Server.gunicorn("retain.config.wsgi:application", env, folder / "retain.log")
            try:
                server.warm_up(key)
                saturated = load(server.port, requests_per_thread=per_thread)
                half_rate = saturated.requests_per_s / 2
                delay_ms = max(1, int(connections * 1000 / max(half_rate, 1)))
                paced = load(server.port, requests_per_thread=max(1, per_thread // 4), delay_ms=delay_ms)
            finally:
                server.stop()
            stored, distinct = stores["retain"].count()

            references: dict[str, WrkResult] = {}
            for name, heading in (
                ("raw", "Raw WSGI reference: the same rows with executemany in a bare WSGI app under gunicorn"),
                ("raw_asgi", "Raw ASGI reference: the same rows from a bare Starlette app under uvicorn"),
            ):
                out(heading)
                target = str(stores[name].path) if database == "sqlite" else stores[name].url
                raw_env = {**env, "RETAIN_BENCH_RAW_DATABASE": target, "RETAIN_BENCH_WORKSPACE_ID": workspace_id}
                log = folder / f"{name}.log"
                if name == "raw":
                    raw_server = Server.gunicorn("retain.usage.bench.raw_app:application", raw_env, log)
                else:
                    raw_server = Server.uvicorn("retain.usage.bench.raw_asgi:app", raw_env, log)
                try:
                    raw_server.warm_up(key)
                    references[name] = load(raw_server.port, requests_per_thread=per_thread)
                finally:
                    raw_server.stop()
                _check_reference(name, references[name], stores[name])
        finally:
            for store in stores.values():
                store.drop()
    acknowledged = saturated.accepted + paced.accepted
    events_per_s = _events_per_s(saturated, batch)
    raw_per_s = _events_per_s(references["raw"], batch)
    asgi_per_s = _events_per_s(references["raw_asgi"], batch)
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
        "raw_asgi_events_per_s": round(asgi_per_s),
        "ratio_asgi": round(events_per_s / asgi_per_s, 3) if asgi_per_s else 0.0,
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
