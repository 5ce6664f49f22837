"""A long history import on the default SQLite database, with a real server answering meanwhile.

`retain import events` runs as its own process (import, then the fold, each in short transactions)
while gunicorn answers pages, API calls and ingest batches, all of which write (sessions, token use,
rate-limit counts, events). None may answer 500 ("database is locked"); a second import into the
same workspace started meanwhile gets one clear line and a non-zero exit, not a traceback.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from retain.tests.processes import migrated_data_dir
from retain.usage.tests.test_faults import READY_WITHIN, Server, _env, _free_port, _retain

pytestmark = [pytest.mark.timeout(900), pytest.mark.embedded]

ACCOUNTS = 50
EVENTS = 100_000
SETUP = f"""
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from retain.accounts.services import account_create
from retain.tenancy.services import api_token_create, member_add, workspace_create, write_key_create
ws = workspace_create(name='Acme', slug='acme')
alice = member_add(workspace=ws, email='alice@acme.example', first_name='Alice', role='admin', password='pw-0123456789')
for n in range({ACCOUNTS}):
    account_create(workspace=ws, actor=None, via='test', name=f'Account {{n}}', external_id=f'acct-{{n}}')
session = SessionStore()
session[SESSION_KEY] = str(alice.user.pk)
session[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
session[HASH_SESSION_KEY] = alice.user.get_session_auth_hash()
session.create()
print(session.session_key, api_token_create(member=alice, name='t')[1], write_key_create(workspace=ws, name='k')[1])
"""


def _history(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("message_id,user_id,event,timestamp,account_id\n")
        for i in range(EVENTS):
            account = i % ACCOUNTS
            day = 1 + (i // ACCOUNTS) % 28
            name = "Signed In" if i % 3 == 0 else "Report Viewed"
            out.write(f"h{i},u{account}-{i % 7},{name},2026-{1 + i % 10:02d}-{day:02d}T10:00:00Z,acct-{account}\n")


def _import(env: dict[str, str], path: Path) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "retain.cli", "import", "events", str(path), "--workspace", "acme"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lock(lock: Path, importer: subprocess.Popen[str]) -> None:
    """Until the import holds its lock (it writes its process id into the file once it does)."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if lock.exists() and f"process {importer.pid} " in lock.read_text():
            return
        assert importer.poll() is None, importer.communicate()
        time.sleep(0.02)
    raise AssertionError("the import never took its lock")


def test_a_long_import_leaves_the_web_answering_and_refuses_a_second_one_clearly(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = _env(tmp_path)
    migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    session, token, write_key = _retain(env, "shell", "-c", SETUP).strip().splitlines()[-1].split()
    history = tmp_path / "history.csv"
    _history(history)
    port = _free_port()
    server = Server(env, port, tmp_path / "server.log")
    server.start()
    server.wait_ready()
    base = f"http://127.0.0.1:{port}"
    ingest_auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    requests = [
        ("GET", "/w/acme/accounts/", {"Cookie": f"sessionid={session}"}, None),
        ("GET", "/api/v1/accounts/", {"Authorization": f"Token {token}"}, None),
        ("GET", "/api/v1/tasks/", {"Authorization": f"Token {token}"}, None),
        ("POST", "/v1/batch", {"Authorization": ingest_auth, "Content-Type": "application/json"}, "batch"),
    ]
    answers: Counter[tuple[str, int]] = Counter()
    slowest = 0.0
    done = threading.Event()

    def client() -> None:
        nonlocal slowest
        sent = 0
        while not done.is_set():
            method, path, headers, body = requests[sent % len(requests)]
            data = None
            if body == "batch":
                calls = [{"type": "track", "userId": "live", "event": "Signed In", "messageId": f"live-{sent}",
                          "context": {"groupId": "acct-1"}}]  # fmt: skip
                data = json.dumps({"batch": calls}).encode()
            request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            slowest = max(slowest, time.monotonic() - started)
            answers[(f"{method} {path}", status)] += 1
            sent += 1

    first = _import(env, history)
    lock = tmp_path / "retain.sqlite3.import-events-1.lock"
    try:
        _wait_for_lock(lock, first)
        sender = threading.Thread(target=client)
        sender.start()
        second = subprocess.run(
            [sys.executable, "-m", "retain.cli", "import", "events", str(history), "--workspace", "acme"],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert first.poll() is None, "the first import ended before the second started: make EVENTS larger"
        out, err = first.communicate(timeout=600)
        done.set()
        sender.join(timeout=300)
    finally:
        done.set()
        if first.poll() is None:
            first.kill()
        server.kill()
    assert first.returncode == 0, err
    assert f"history.csv: rows {EVENTS}: accepted {EVENTS}, duplicates 0, rejected 0" in out
    # The fold takes the events ingested meanwhile along with the history.
    folded = int(out.split("folded ", 1)[1].split()[0])
    assert folded >= EVENTS and f"into the daily usage of {ACCOUNTS} accounts" in out
    assert second.returncode != 0
    assert "Traceback" not in second.stderr
    assert second.stderr.strip().splitlines()[-1] == (
        "CommandError: history.csv: another events import into workspace 'acme' is running "
        f"(held by process {first.pid} since " + second.stderr.split("since ", 1)[1].split(")", 1)[0] + "); "
        "nothing was written: import again once it has finished"
    )
    statuses = Counter(status for (_, status), count in answers.items() for _ in range(count))
    assert statuses[500] == 0, answers
    assert set(statuses) == {200}, answers
    assert sum(statuses.values()) >= 4 * len(requests), answers  # every kind, several times, during the import
    # Writes waited for one short transaction at a time, never near SQLite's 30 s busy timeout (a
    # fold of one long transaction made them wait for the whole history).
    assert slowest < 20, slowest
    with sqlite3.connect(tmp_path / "retain.sqlite3") as db:
        (imported,) = db.execute("select count(*) from usage_event where message_id like 'h%'").fetchone()
    assert imported == EVENTS
    print(f"{sum(statuses.values())} requests during the import, slowest {slowest:.2f} s: {dict(answers)}")
