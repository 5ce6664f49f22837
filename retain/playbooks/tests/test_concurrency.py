"""Two real worker processes sweep the same 1,200 due enrolments on PostgreSQL at once.

Each process is a separate `retain shell` with its own connection, so SKIP LOCKED is exercised
for real: both must claim some, no enrolment may be claimed twice, none may be left behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import timezone

from retain.accounts.models import Account
from retain.messaging.models import OutboundMessage
from retain.playbooks.models import Enrollment, StepRun
from retain.playbooks.tests.helpers import playbook
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
COUNT = 1200

WORKER = """
import json, os, pathlib, time
from retain.playbooks import engine
name, go = os.environ["SWEEP_NAME"], pathlib.Path(os.environ["SWEEP_GO"])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
claimed = done = rounds = 0
while True:
    result = engine.sweep(worker_name=name, limit=20)
    if not result.claimed:
        break
    claimed += result.claimed
    done += result.done + result.waiting
    rounds += 1
print(json.dumps({"claimed": claimed, "done": done, "rounds": rounds}), flush=True)
"""


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start(name: str, go: Path, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_")},
        "DJANGO_SETTINGS_MODULE": "retain.config.settings",
        "RETAIN_SECRET_KEY": "sweep-test-secret-key-0123456789abcdef0123456789",
        "RETAIN_DATABASE_URL": _database_url(),
        "RETAIN_DATA_DIR": str(tmp_path / name),
        "SWEEP_NAME": name,
        "SWEEP_GO": str(go),
    }
    (tmp_path / name).mkdir()
    retain = Path(sys.executable).with_name("retain")
    return subprocess.Popen(
        [str(retain), "shell", "--no-imports", "-c", WORKER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / f"{name}.log").open("w"),
        text=True,
    )


def test_two_worker_processes_run_every_due_enrolment_exactly_once(
    workspace: Workspace, account: Account, tmp_path: Path
) -> None:
    book = playbook(
        workspace,
        key="ping",
        trigger={"kind": "event", "entry": "webhook_received"},
        steps=[{"webhook": {"url": "https://hooks.example/ping", "payload": {"account": "{{ account.name }}"}}}],
    )
    due = timezone.now() - dt.timedelta(minutes=1)
    Enrollment.objects.bulk_create(
        Enrollment(
            workspace=workspace,
            playbook=book,
            playbook_key=book.key,
            account=account,
            occurrence_key=f"entry:{n}",
            due_at=due,
        )
        for n in range(COUNT)
    )
    go = tmp_path / "go"
    workers = [_start(name, go, tmp_path) for name in ("alpha", "beta")]
    try:
        for worker in workers:  # both are up and connected before either starts
            assert worker.stdout is not None
            line = worker.stdout.readline()
            while line and line.strip() != "ready":
                line = worker.stdout.readline()
            assert line, (tmp_path / "alpha.log").read_text() + (tmp_path / "beta.log").read_text()
        go.touch()
        outputs = [worker.communicate(timeout=240) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    results = []
    for worker, (out, _) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, (tmp_path / "alpha.log").read_text() + (tmp_path / "beta.log").read_text()
        results.append(json.loads(out.strip().splitlines()[-1]))

    claimed = [result["claimed"] for result in results]
    assert all(n > 0 for n in claimed), claimed  # both took part
    assert sum(claimed) == COUNT  # nobody claimed an enrolment the other had
    assert Enrollment.objects.filter(status="done", attempts=1).count() == COUNT  # none missed, none retried
    assert StepRun.objects.filter(status="ok").count() == COUNT
    assert OutboundMessage.objects.filter(channel="webhook").count() == COUNT
    assert set(Enrollment.objects.values_list("claimed_by", flat=True)) == {None}
