"""Fault tests at small scale: a real server killed with SIGKILL while a retrying client sends.

Every batch the server acknowledged must be stored exactly once, and every batch sent must end up
stored (the client resends until acknowledged, and resends are deduplicated on messageId).
"""

from __future__ import annotations

import base64
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

pytestmark = pytest.mark.timeout(240)

SECRET = "fault-test-secret-key-0123456789abcdef0123"


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
        [sys.executable, "-m", "retain.cli", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "gunicorn", "retain.config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "4"]  # fmt: skip
        self.process = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _send_until_acknowledged(url: str, key: str, body: bytes, stop: threading.Event) -> dict[str, Any]:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    while not stop.is_set():
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json", "Authorization": auth}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(json.load(response))
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.05)  # server down or restarting: resend, as Segment's clients do
    raise AssertionError("gave up before the batch was acknowledged")


def test_sigkill_loses_no_acknowledged_event_and_stores_none_twice(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _retain(env, "migrate", "--verbosity", "0")
    key = _retain(
        env, "shell", "-c",
        "from retain.tenancy.services import workspace_create, write_key_create;"
        "ws = workspace_create(name='Fault', slug='fault');"
        "print(write_key_create(workspace=ws, name='k')[1])",
    ).strip().splitlines()[-1]  # fmt: skip
    port = _free_port()
    server = Server(env, port)
    server.start()
    stop = threading.Event()
    acknowledged: list[int] = []
    batches = 60

    def client() -> None:
        for number in range(batches):
            calls = [
                {"type": "track", "userId": f"u{i}", "event": "Signed In", "messageId": f"b{number}-e{i}"}
                for i in range(50)
            ]
            answer = _send_until_acknowledged(
                f"http://127.0.0.1:{port}/v1/batch", key, json.dumps({"batch": calls}).encode(), stop
            )
            acknowledged.append(answer["accepted"] + answer["duplicates"])

    sender = threading.Thread(target=client)
    sender.start()
    kills = 0
    try:
        while sender.is_alive() and kills < 5:
            time.sleep(0.7)
            server.kill()
            kills += 1
            server.start()
        sender.join(timeout=180)
    finally:
        stop.set()
        server.kill()
    assert not sender.is_alive()
    assert kills >= 3
    assert acknowledged == [50] * batches
    with sqlite3.connect(tmp_path / "retain.sqlite3") as db:
        stored, distinct = db.execute("select count(*), count(distinct message_id) from usage_event").fetchone()
    assert stored == distinct == 50 * batches
