"""Fault tests at small scale: a real server killed with SIGKILL while a retrying client sends.

Every batch the server acknowledged must be stored exactly once, and every batch sent must end up
stored (the client resends until acknowledged, and resends are deduplicated on messageId).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from retain.tests.processes import migrated_data_dir

# A safety net only: the test is bounded by events (a fixed number of batches and kills, each kill
# waiting for the server to be ready again), not by wall time, so a loaded machine is just slower.
pytestmark = [pytest.mark.timeout(900), pytest.mark.embedded]

SECRET = "fault-test-secret-key-0123456789abcdef0123"
BATCHES = 40
EVENTS_PER_BATCH = 50
KILL_AFTER = (4, 10, 16, 22, 28)  # kill when this many batches have been acknowledged
READY_WITHIN = 240.0  # seconds a restart may take on a loaded machine before the test gives up


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"RETAIN_DATA_DIR": str(data_dir), "RETAIN_SECRET_KEY": SECRET})
    return env


def _retain(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "retain.cli", *args], env=env, capture_output=True, text=True, timeout=400, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Server:
    """gunicorn in a session of its own, so a kill takes its master and worker down at once.

    Killing only the master left the worker orphaned and still listening; the next start then
    failed to bind the port and the client waited for a server that never came back.
    """

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "gunicorn", "retain.config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "4"]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv, env=self.env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
            )

    def wait_ready(self) -> None:
        """Until the server answers HTTP (any status); fails early with its log if it exits."""
        assert self.process is not None
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v1/batch", timeout=5).close()
                return
            except urllib.error.HTTPError:
                return  # 401/405: Django is up and answering
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.05)
        raise AssertionError(f"the server was not ready within {READY_WITHIN:.0f} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to every process of the server at once, as a crash would; returns once all are gone."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + READY_WITHIN
        while time.monotonic() < deadline:  # the worker is reaped by init: wait until the port is free
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.02)
        raise AssertionError("the killed server still holds its port")


def _send_until_acknowledged(url: str, key: str, body: bytes, stop: threading.Event) -> dict[str, Any]:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    while not stop.is_set():
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", "Authorization": auth}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.load(response))
        except (urllib.error.URLError, http.client.HTTPException, ValueError, OSError):
            # Server down or restarting, or killed while it wrote the answer (http.client then
            # reads a cut chunked body as IncompleteRead, or as a ValueError on an empty chunk
            # size): resend, as Segment's clients do. An escaping error ended the client thread.
            time.sleep(0.05)
    raise AssertionError("gave up before the batch was acknowledged")


class Progress:
    """What the client has had acknowledged and how many kills are done, shared by the two threads."""

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.acknowledged: list[int] = []
        self.killed = 0

    def acknowledge(self, count: int) -> None:
        with self.condition:
            self.acknowledged.append(count)
            self.condition.notify_all()

    def kill_done(self) -> None:
        with self.condition:
            self.killed += 1
            self.condition.notify_all()

    def wake(self) -> None:
        with self.condition:
            self.condition.notify_all()

    def wait_for_acknowledged(self, batches: int) -> None:
        with self.condition:
            done = self.condition.wait_for(lambda: len(self.acknowledged) >= batches, timeout=READY_WITHIN)
            assert done, f"only {len(self.acknowledged)} batches acknowledged, waiting for {batches}"

    def wait_until_may_send(self, number: int, stop: threading.Event) -> None:
        """Never more than one batch past a pending kill: the kill lands while a request is in flight
        or just answered, and the client cannot finish before every kill has happened."""
        due = sum(1 for threshold in KILL_AFTER if threshold < number)
        with self.condition:
            self.condition.wait_for(lambda: stop.is_set() or self.killed >= due)


def test_sigkill_loses_no_acknowledged_event_and_stores_none_twice(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = _env(tmp_path)
    migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    key = _retain(
        env, "shell", "-c",
        "from retain.tenancy.services import workspace_create, write_key_create;"
        "ws = workspace_create(name='Fault', slug='fault');"
        "print(write_key_create(workspace=ws, name='k')[1])",
    ).strip().splitlines()[-1]  # fmt: skip
    port = _free_port()
    server = Server(env, port, tmp_path / "server.log")
    server.start()
    server.wait_ready()
    stop = threading.Event()
    progress = Progress()

    def client() -> None:
        for number in range(BATCHES):
            progress.wait_until_may_send(number, stop)
            calls = [
                {"type": "track", "userId": f"u{i}", "event": "Signed In", "messageId": f"b{number}-e{i}"}
                for i in range(EVENTS_PER_BATCH)
            ]
            answer = _send_until_acknowledged(
                f"http://127.0.0.1:{port}/v1/batch", key, json.dumps({"batch": calls}).encode(), stop
            )
            progress.acknowledge(answer["accepted"] + answer["duplicates"])

    sender = threading.Thread(target=client)
    sender.start()
    try:
        for threshold in KILL_AFTER:
            progress.wait_for_acknowledged(threshold)
            server.kill()
            server.start()
            server.wait_ready()
            progress.kill_done()
        sender.join(timeout=READY_WITHIN)
    finally:
        stop.set()
        progress.wake()  # a client waiting for a kill sees `stop` and gives up
        server.kill()
    assert not sender.is_alive()
    assert progress.killed == len(KILL_AFTER)
    assert progress.acknowledged == [EVENTS_PER_BATCH] * BATCHES
    with sqlite3.connect(tmp_path / "retain.sqlite3") as db:
        stored, distinct = db.execute("select count(*), count(distinct message_id) from usage_event").fetchone()
    assert stored == distinct == EVENTS_PER_BATCH * BATCHES
