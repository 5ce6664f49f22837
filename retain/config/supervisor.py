"""The embedded mode's supervisor: `retain serve` runs the web server (which also serves ingest) and
the worker (with beat inside it) as child processes, and restarts a child that dies while the
others keep serving.

- A child that dies is started again after a delay that doubles with each death in a row
  (1 s, 2 s, 4 s … at most 30 s), so a child that cannot start (a port in use, a broken setting)
  does not spin. A child that ran for a while before dying starts again after the first delay.
- Each child leads a process group of its own, and the whole group of a dead child is killed before
  it is started again: gunicorn's workers outlive a killed master and keep its port, and Celery's
  embedded beat outlives a killed worker and would run every periodic job twice next to the new one.
- Stopping (Ctrl-C or SIGTERM to `retain serve`) sends SIGTERM to every group, waits for a graceful
  end, then kills what is left. Children are in their own sessions, so a terminal's Ctrl-C reaches
  them only through here, once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

FIRST_DELAY = 1.0
MAX_DELAY = 30.0
STABLE_AFTER = 30.0  # seconds a child must have run for its death not to count as "in a row"
POLL_SECONDS = 0.5


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    deaths_in_a_row: int = 0
    restart_at: float | None = None


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(pid, signum)


class Supervisor:
    def __init__(
        self,
        commands: Mapping[str, list[str]],
        *,
        log: Callable[[str], None],
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        stable_after: float = STABLE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [Child(name, list(argv)) for name, argv in commands.items()]
        self.log = log
        self.first_delay, self.max_delay, self.stable_after = first_delay, max_delay, stable_after
        self.clock = clock

    def delay(self, deaths_in_a_row: int) -> float:
        return min(self.first_delay * 2 ** max(deaths_in_a_row - 1, 0), self.max_delay)

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(child.argv, start_new_session=True)
        child.started_at, child.restart_at = self.clock(), None
        self.log(f"{child.name} started (pid {child.process.pid})")

    def check(self) -> None:
        """Notice dead children and start those whose delay is over."""
        now = self.clock()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                _signal_group(process.pid, signal.SIGKILL)  # what it leaves behind has no master now
                quick = now - child.started_at < self.stable_after
                child.deaths_in_a_row = child.deaths_in_a_row + 1 if quick else 1
                delay = self.delay(child.deaths_in_a_row)
                child.process, child.restart_at = None, now + delay
                self.log(f"{child.name} (pid {process.pid}) ended, {_describe(process.returncode)}; "
                         f"starting it again in {delay:g} s")  # fmt: skip
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                self._spawn(child)

    def run(self, stop: threading.Event) -> None:
        """Start every child and keep them running until `stop` is set; then stop them."""
        try:
            self.start()
            while not stop.is_set():
                self.check()
                stop.wait(POLL_SECONDS)
        finally:
            self.stop()

    def stop(self, grace: float = 20.0) -> None:
        running = [child.process for child in self.children if child.process is not None]
        for process in running:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = self.clock() + grace
        for process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - self.clock(), 0.1))
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
        for child in self.children:
            child.process = None
