"""Rate limits hold across server processes: two real servers count in one shared cache.

Each server is a gunicorn process of its own with the production settings; a client's requests are
spread over both, as a load balancer spreads them, and the limit still falls on the eleventh.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from retain.messaging.views import RATE_PER_TOKEN, RATE_WINDOW_SECONDS
from retain.tests.processes import migrated_data_dir

# The module's servers are set up once: its tests run on one xdist worker (make test uses --dist loadgroup).
pytestmark = [pytest.mark.timeout(180), pytest.mark.xdist_group("shared-limits"), pytest.mark.embedded]

SECRET = "shared-limits-secret-key-0123456789abcdef0123"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _status(url: str, forwarded_for: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Retry-After")


def _wait_until_serving(port: int, process: subprocess.Popen[bytes], deadline: float = 60.0) -> None:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        assert process.poll() is None, "the server exited while starting"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise AssertionError(f"the server on port {port} did not answer within {deadline} s")


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated embedded database (with its cache table) and the production settings around it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    data_dir = tmp_path_factory.mktemp("shared-limits")
    env.update({"RETAIN_DATA_DIR": str(data_dir), "RETAIN_SECRET_KEY": SECRET, "RETAIN_TRUSTED_PROXIES": "127.0.0.1"})
    migrated_data_dir(data_dir, tmp_path_factory.getbasetemp().parent)
    return env


@pytest.fixture(params=["database", "redis"])
def two_servers(request: pytest.FixtureRequest, environment: dict[str, str]) -> Iterator[list[int]]:
    env = dict(environment)
    if request.param == "redis":
        if not _redis_reachable():
            if os.environ.get("CI") == "true":
                pytest.fail("Redis is not reachable on 127.0.0.1:6379")
            pytest.skip("Redis is not reachable on 127.0.0.1:6379")
        env["RETAIN_CACHE_URL"] = REDIS_URL
    ports = [_free_port(), _free_port()]
    gunicorn = [sys.executable, "-m", "gunicorn", "retain.config.wsgi:application", "--workers", "1", "--threads", "2"]
    processes = [
        subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_until_serving(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def test_a_link_is_limited_across_two_server_processes(two_servers: list[int]) -> None:
    for _attempt in range(2):
        # A link and a client address of their own, so runs and other tests on the same Redis do not mix.
        token, client = secrets.token_urlsafe(24), f"198.51.100.{secrets.randbelow(250) + 1}"
        window = int(time.time() // RATE_WINDOW_SECONDS)
        answers = [
            _status(f"http://127.0.0.1:{two_servers[n % 2]}/s/{token}/", client) for n in range(RATE_PER_TOKEN + 1)
        ]
        if int(time.time() // RATE_WINDOW_SECONDS) != window:
            continue  # the counting window ended mid-way and counts started again: try once more
        assert [status for status, _ in answers] == [404] * RATE_PER_TOKEN + [429]
        retry_after = answers[-1][1]
        assert retry_after is not None and 1 <= int(retry_after) <= RATE_WINDOW_SECONDS
        return
    raise AssertionError("two counting windows ended during the test")
