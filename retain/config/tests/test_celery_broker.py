"""Background work on a real broker: a `retain worker` process consumes a job sent through it.

Production runs RabbitMQ or Redis, and PostgreSQL: the test runs on each broker. The worker is a
separate process, so the test database must be committed (transaction=True) and the worker pointed
at it. Each run consumes its own queue so nothing else using the same broker takes its job or hands
it one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from celery import Celery
from django.conf import settings
from django.core.management import get_commands

from retain.accounts.choices import EntryKind
from retain.accounts.jobs import open_renewal_windows
from retain.accounts.models import Account, TimelineEntry
from retain.config.management.commands._processes import beat_argv, worker_argv

BROKERS = ("amqp://guest:guest@127.0.0.1:5672//", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[3]


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=1):
            return True
    except OSError:
        return False


def _transport_installed(url: str) -> bool:
    module = "amqp" if url.startswith("amqp") else "redis"
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _broker_url(url: str) -> str:
    """The broker at `url`, or a skip (a failure under CI, where .ci/run starts both)."""
    if _reachable(url) and _transport_installed(url):
        return url
    reason = f"no broker at {url}: start RabbitMQ (5672) and Redis (6379) on 127.0.0.1; .ci/run does"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(params=BROKERS, ids=["rabbitmq", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str:
    return _broker_url(request.param)


@pytest.fixture
def worker(broker_url: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    queue = f"retain-test-{uuid.uuid4().hex[:12]}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_")},
        "DJANGO_SETTINGS_MODULE": "retain.config.settings",
        "RETAIN_SECRET_KEY": "broker-test-secret-key-0123456789abcdef0123456789",
        "RETAIN_DATABASE_URL": _database_url(),
        "RETAIN_BROKER_URL": broker_url,
        "RETAIN_DATA_DIR": str(tmp_path),
    }
    log = (tmp_path / "worker.log").open("wb")
    retain = Path(sys.executable).with_name("retain")
    process = subprocess.Popen(
        [str(retain), "worker", "--concurrency", "1", "--queues", queue],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_job_sent_through_the_broker(
    account: Account, broker_url: str, worker: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    queue, process = worker
    opened = TimelineEntry.objects.filter(account=account, kind=EntryKind.RENEWAL_WINDOW_OPENED)
    assert not opened.exists()

    # The suite runs jobs inline; a client of its own sends this one through the real broker, to the
    # worker's own queue. Not as the current app: shared tasks called later in this process would
    # then go to this broker instead of running inline (later tests waited for jobs never run).
    sender = Celery("retain-test-sender", broker=broker_url, set_as_current=False)
    try:
        result = sender.send_task(open_renewal_windows.name, args=[account.workspace_id], queue=queue)
    finally:
        sender.close()

    deadline = time.monotonic() + 60
    while not opened.exists():
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{(tmp_path / 'worker.log').read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"the job had no effect within 60 s:\n{(tmp_path / 'worker.log').read_text()}")
        time.sleep(0.25)
    assert opened.count() == 1
    # The worker process ran it (this process runs jobs inline otherwise); it logs the success just
    # after the job's transaction commits, so the line may come a moment after the effect.
    succeeded = f"open_renewal_windows[{result.id}] succeeded"
    while succeeded not in (tmp_path / "worker.log").read_text():
        if time.monotonic() > deadline:
            pytest.fail(f"the worker never logged the job's success:\n{(tmp_path / 'worker.log').read_text()}")
        time.sleep(0.25)


def test_the_embedded_mode_runs_beat_inside_the_worker_on_the_sqlite_broker() -> None:
    assert settings.CELERY_BROKER_URL.startswith("sqla+sqlite:///") or "RETAIN_BROKER_URL" in os.environ
    argv = worker_argv(concurrency=2, embed_beat=True)
    assert argv[argv.index("-A") + 1] == "retain.config"
    assert "worker" in argv and "--beat" in argv
    assert argv[argv.index("--schedule") + 1] == settings.CELERY_BEAT_SCHEDULE_FILE
    assert "beat" in beat_argv() and {"worker", "beat", "serve"} <= set(get_commands())
