"""Two scan processes overlap on the embedded SQLite database: a limited playbook fires once.

The first scan has written its enrolment and holds its transaction open when the second, a day
later by its clock, starts; BEGIN IMMEDIATE makes the second wait for the first to commit and then
read its enrolment, so "at most 1 per 30 days" holds as on PostgreSQL (test_limits_concurrency).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retain.tests.processes import migrated_data_dir

pytestmark = pytest.mark.embedded

SECRET = "limits-test-secret-key-0123456789abcdef0123456789"

SETUP = """
import datetime as dt
from decimal import Decimal
from retain.accounts import services as accounts
from retain.playbooks.tests.helpers import playbook, score
from retain.tenancy.services import workspace_create
ws = workspace_create(name="Acme CS", slug="acme")
account = accounts.account_create(workspace=ws, actor=None, via="test", name="Globex", tier="enterprise")
today = dt.date.today()
accounts.subscription_create(
    account=account, actor=None, via="test", product="Hub", mrr=Decimal("1000"), seats=10,
    started_on=today - dt.timedelta(days=305), term_end=today + dt.timedelta(days=60),
)
red = {"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}}
playbook(ws, key="risk-review", trigger=red, limits={"max": 1, "per_days": 30})
score(account, today, 30, "red")
score(account, today + dt.timedelta(days=1), 30, "red")
"""

SCAN = """
import datetime as dt, os, pathlib, time
from django.utils import timezone
from retain.playbooks import engine
from retain.tenancy.models import Workspace
here = pathlib.Path(os.environ["SCAN_DIR"])
name, days = os.environ["SCAN_NAME"], int(os.environ["SCAN_DAYS"])
real_enrol = engine._enrol

def enrol_then_hold(workspace, occurrences):
    made = real_enrol(workspace, occurrences)
    if name == "first" and occurrences:
        (here / "first-wrote").touch()
        deadline = time.monotonic() + 60
        while not (here / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    return made

engine._enrol = enrol_then_hold
print("scanning", flush=True)
engine.scan(workspace=Workspace.objects.get(slug="acme"), now=timezone.now() + dt.timedelta(days=days))
print("done", flush=True)
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_SECRET_KEY": SECRET, "SCAN_DIR": str(tmp_path), **extra})
    return env


def _retain(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "retain.cli", *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _scan(tmp_path: Path, name: str, days: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "retain.cli", "shell", "--no-imports", "-c", SCAN],
        env=_env(tmp_path, SCAN_NAME=name, SCAN_DAYS=str(days)),
        stdout=subprocess.PIPE,
        stderr=(tmp_path / f"{name}.log").open("w"),
        text=True,
    )


def _wait_for(path: Path, deadline_seconds: float = 60) -> bool:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.02)  # a polling interval, bounded by the deadline
    return False


def test_two_overlapping_scan_processes_fire_a_limited_playbook_once(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = _env(tmp_path)
    migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    _retain(env, "shell", "--no-imports", "-c", SETUP)
    first = _scan(tmp_path, "first", 0)
    started = [first]
    try:
        assert _wait_for(tmp_path / "first-wrote"), (tmp_path / "first.log").read_text()
        second = _scan(tmp_path, "second", 1)
        started.append(second)
        assert second.stdout is not None and second.stdout.readline().strip() == "scanning"
        (tmp_path / "release").touch()
        for process in (first, second):
            process.communicate(timeout=120)
            assert process.returncode == 0, (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    finally:
        (tmp_path / "release").touch()
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    fired = _retain(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from retain.playbooks.models import Enrollment;"
        "print(sorted(Enrollment.objects.values_list('occurrence_key', flat=True)))",
    )
    assert fired.strip() == str([f"edge:{dt.date.today().isoformat()}"])
