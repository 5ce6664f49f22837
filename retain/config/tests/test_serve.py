"""`retain serve` keeps its children running: a killed worker or web server is started again while
the other keeps serving (real processes), and a child that keeps dying is started with backoff."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from retain.config.supervisor import Supervisor
from retain.tests.processes import migrated_data_dir

pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[3]
DEADLINE = 120.0


class Output:
    """Every line `retain serve` and its children print, read as it comes."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self.changed:
                self.lines.append(raw.decode(errors="replace").rstrip())
                self.changed.notify_all()

    def wait_for(self, pattern: str, after: int = 0) -> tuple[int, re.Match[str]]:
        """The first line from index `after` on that matches, waiting for it up to the deadline."""
        deadline = time.monotonic() + DEADLINE
        with self.changed:
            while True:
                for index in range(after, len(self.lines)):
                    found = re.search(pattern, self.lines[index])
                    if found:
                        return index, found
                after = max(after, len(self.lines))
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    pytest.fail(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-60:]))
                self.changed.wait(min(left, 1.0))

    def started(self, name: str, after: int = 0) -> tuple[int, int]:
        index, found = self.wait_for(rf"retain serve: {name} started \(pid (\d+)\)", after)
        return index, int(found.group(1))


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {DEADLINE:g} s")
        time.sleep(0.2)


def status(url: str, data: bytes | None = None) -> int | None:
    """The HTTP status the server answers with, or None when nothing answers."""
    try:
        # Generous: on a loaded machine a page can take seconds, which is slow, not down.
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def group_gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Output, str]]:
    # `retain serve` migrates before it starts its children: from the run's migrated copy that is a
    # check that finds nothing to do, not the 15-20 s of CPU of migrating an empty file again.
    migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_")},
        "DJANGO_SETTINGS_MODULE": "retain.config.settings",
        "RETAIN_SECRET_KEY": "serve-test-secret-key-0123456789abcdef0123456789",
        "RETAIN_DATA_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    retain = Path(sys.executable).with_name("retain")
    process = subprocess.Popen(
        [str(retain), "serve", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Output(process), f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.timeout(600)
def test_a_killed_child_is_started_again_while_the_other_keeps_serving(serve: tuple[Output, str]) -> None:
    output, base = serve

    def web_and_ingest_answer() -> bool:
        # The login page for people, and ingest (a batch without a write key is a 401).
        return status(f"{base}/") is not None and status(f"{base}/v1/batch", data=b"{}") == 401

    _, web = output.started("web")
    at, worker = output.started("worker")
    output.wait_for(r"celery@\S+ ready", after=at)
    wait_until(web_and_ingest_answer, "the web server and ingest answer")

    # The worker dies: the web server and ingest keep answering; the worker comes back.
    os.kill(worker, signal.SIGKILL)
    ended, _ = output.wait_for(rf"worker \(pid {worker}\) ended, killed by SIGKILL; starting it again in 1 s")
    wait_until(web_and_ingest_answer, "the web server and ingest keep answering while the worker is down")
    assert alive(web)
    at, new_worker = output.started("worker", after=ended)
    assert new_worker != worker
    output.wait_for(r"celery@\S+ ready", after=at)
    wait_until(lambda: group_gone(worker), "the killed worker's embedded beat is ended too")

    # The web server dies: the worker keeps running; the web server comes back and answers.
    os.kill(web, signal.SIGKILL)
    ended, _ = output.wait_for(rf"web \(pid {web}\) ended, killed by SIGKILL")
    assert alive(new_worker)
    _, new_web = output.started("web", after=ended)
    assert new_web != web
    wait_until(web_and_ingest_answer, "the restarted web server answers")
    wait_until(lambda: group_gone(web), "the killed web server's workers are ended too")
    assert alive(new_worker)
    assert [line for line in output.lines if "worker started" in line] == [
        f"retain serve: worker started (pid {worker})",
        f"retain serve: worker started (pid {new_worker})",
    ]


def test_a_child_that_keeps_dying_is_started_again_after_a_doubling_delay() -> None:
    now = 1000.0
    lines: list[str] = []
    supervisor = Supervisor(
        {"flaky": [sys.executable, "-c", "raise SystemExit(3)"]}, log=lines.append, max_delay=4, clock=lambda: now
    )
    supervisor.start()
    child = supervisor.children[0]
    delays: list[float] = []
    try:
        for _ in range(4):
            assert child.process is not None
            child.process.wait(timeout=30)
            supervisor.check()
            assert child.process is None and child.restart_at is not None
            delays.append(child.restart_at - now)
            supervisor.check()  # not due yet: nothing starts
            assert child.process is None
            now = child.restart_at
            supervisor.check()
        assert delays == [1, 2, 4, 4]
        assert re.fullmatch(r"flaky \(pid \d+\) ended, exit status 3; starting it again in 1 s", lines[1])
        # One that ran a while before it died is started again after the first delay.
        now += 60
        assert child.process is not None
        child.process.wait(timeout=30)
        supervisor.check()
        assert child.restart_at == now + 1
    finally:
        supervisor.stop()
    assert [line.split(" (")[0] for line in lines].count("flaky started") == 5
