"""Real Retain processes in tests (and `make soak`): a migrated embedded database, nginx in front.

Tests that start `retain web`, `retain serve`, workers or scans as separate processes need a migrated
database file of their own. Migrating one from nothing costs 15–20 s of CPU on these machines, and
several modules did it each; `migrated_data_dir` migrates once per test run (the first xdist worker
to get here holds a lock while the others wait) into a template keyed by the migration files, and
gives each caller a consistent copy made with SQLite's backup API.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATE_TIMEOUT = 900  # bounds a migrate that hangs on a loaded machine; not a wait


def _migrations_key() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "retain").glob("*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _template(base: Path) -> Path:
    """The migrated template for this checkout's migrations, made if missing."""
    folder = base / f"retain-migrated-{_migrations_key()}"
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "retain.sqlite3"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            work = Path(tempfile.mkdtemp(prefix="migrate-", dir=folder))
            env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
            env.update({"RETAIN_DATA_DIR": str(work), "RETAIN_SECRET_KEY": "migrate-template-key-0123456789abcdef012"})
            subprocess.run(
                [sys.executable, "-m", "retain.cli", "migrate", "--verbosity", "0"],
                env=env, check=True, timeout=MIGRATE_TIMEOUT,
            )  # fmt: skip
            _copy(work / "retain.sqlite3", database)
            (folder / "done").write_text("ok")
    return database


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def migrated_data_dir(data_dir: Path, shared_base: Path) -> Path:
    """Put a migrated `retain.sqlite3` into `data_dir` (RETAIN_DATA_DIR) and return the database's path.

    `shared_base` is a folder every xdist worker of this run sees, e.g.
    `tmp_path_factory.getbasetemp().parent`.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "retain.sqlite3"
    _copy(_template(shared_base), target)
    return target


# nginx in front of web processes: deploy/nginx/retain.conf.template, rendered as docs/deploy.md says --

NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "retain.conf.template"


def nginx_render(template: str, values: dict[str, str]) -> str:
    """What `envsubst '$RETAIN_…'` does: replace the listed names, leave nginx's own `$host` alone."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in values:
            raise KeyError(f"{NGINX_TEMPLATE.name} uses ${{{name}}}, which is not set")
        return values[name]

    return re.sub(r"\$\{(RETAIN_[A-Z_]+)\}", value, template)


def nginx_find() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


def nginx_start(
    nginx: str, folder: Path, *, upstreams: list[int], https_port: int, http_port: int, certificate: Path
) -> subprocess.Popen[bytes]:
    """Render the template for 127.0.0.1 with `certificate` (key and chain in one PEM) and start nginx.

    Runs in the foreground in a session of its own (stop it with os.killpg); `nginx -t` must pass first.
    """
    conf = nginx_render(
        NGINX_TEMPLATE.read_text(),
        {
            "RETAIN_SERVER_NAME": "127.0.0.1",
            "RETAIN_HTTP_LISTEN": f"127.0.0.1:{http_port}",
            "RETAIN_HTTPS_LISTEN": f"127.0.0.1:{https_port}",
            "RETAIN_TLS_CERT": str(certificate),
            "RETAIN_TLS_KEY": str(certificate),
            "RETAIN_UPSTREAMS": " ".join(f"server 127.0.0.1:{port};" for port in upstreams),
        },
    )
    (folder / "retain.conf").write_text(conf)
    temp = folder / "temp"
    temp.mkdir(mode=0o777, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n{user}\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log {folder}/access.log;\n    client_body_temp_path {temp}/body;\n"
        f"    proxy_temp_path {temp}/proxy;\n    fastcgi_temp_path {temp}/fastcgi;\n"
        f"    uwsgi_temp_path {temp}/uwsgi;\n    scgi_temp_path {temp}/scgi;\n    include {folder}/retain.conf;\n}}\n"
    )
    argv = [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(folder / "nginx.conf")]
    check = subprocess.run([*argv[:1], "-t", *argv[1:]], capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
    log = (folder / "nginx.out").open("wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None, log: Path, deadline: float = 120.0) -> None:
    """Until something listens on the port; fails early when the process exits (its log's end is shown)."""
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}:\n{_tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)  # a polling interval, bounded by the deadline
    raise RuntimeError(f"nothing listened on port {port} within {deadline}s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
