"""Throwaway PostgreSQL and Redis servers for `make soak`: their own folders and ports on 127.0.0.1.

The soak restarts its database on purpose; doing that to a server others use would break their work,
so by default it runs a cluster of its own: `initdb` into a temporary folder (trust authentication,
nothing but 127.0.0.1 and a socket in that folder), `pg_ctl start -w` on a free port, `pg_ctl restart
-m fast -w` for the fault and `pg_ctl stop -m fast -w` then the folder's removal at the end. PostgreSQL
refuses to run as root: as root, every `initdb`/`pg_ctl` runs as the `postgres` user (`runuser`),
which then owns the folder. Redis likewise runs as a process of its own with nothing saved to disk.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from retain.tests.processes import free_port, wait_for_port

PG_TIMEOUT = 180  # seconds `pg_ctl -w` waits for the server (a loaded machine is slow to checkpoint)


def pg_bindir() -> Path | None:
    """The folder holding `initdb` and `pg_ctl` of one version: on PATH, else the newest Debian one."""
    found = shutil.which("pg_ctl")
    if found and Path(found).with_name("initdb").exists():
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


class PostgresCluster:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:`port`; use as a context manager."""

    def __init__(self, bindir: Path | None = None, *, user: str = "postgres", settings: dict[str, str] | None = None):
        found = bindir or pg_bindir()
        if found is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found (apt-get install postgresql)")
        self.bindir = found
        self.user = user
        self.settings = settings or {}
        self.folder: Path | None = None
        self.port = 0
        self.restarts = 0

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    @property
    def log(self) -> Path:
        assert self.folder is not None
        return self.folder / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str, timeout: float = PG_TIMEOUT + 30) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # the server refuses root: the folder belongs to the postgres account
            command = ["runuser", "-u", "postgres", "--", *command]
        # Into a file, not a pipe: a server started without `-l` would hold a pipe open after pg_ctl returns.
        with tempfile.TemporaryFile() as output:
            done = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, timeout=timeout, cwd="/")
            output.seek(0)
            said = output.read().decode(errors="replace")
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({done.returncode}):\n{said}{tail}")

    def start(self) -> PostgresCluster:
        self.folder = Path(tempfile.mkdtemp(prefix="retain-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions", timeout=300)  # fmt: skip
        self.port = free_port()
        options = {"port": str(self.port), "listen_addresses": "127.0.0.1",
                   "unix_socket_directories": str(self.folder), **self.settings}  # fmt: skip
        # Written into the cluster's own configuration, so a restart keeps the same port and settings.
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{key} = '{value}'\n" for key, value in options.items())
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(PG_TIMEOUT))
        return self

    def restart(self) -> None:
        """Fast shutdown (open connections are cut, transactions rolled back) and start; returns once it accepts."""
        self._run("pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", "fast",
                  "-w", "-t", str(PG_TIMEOUT))  # fmt: skip
        self.restarts += 1

    def stop(self) -> None:
        """Stop the server (if it runs) and remove its folder."""
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", str(PG_TIMEOUT))
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer:
    """A `redis-server` on a free 127.0.0.1 port, saving nothing; use as a context manager."""

    def __init__(self) -> None:
        found = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(found).exists():
            raise RuntimeError("redis-server was not found (apt-get install redis-server)")
        self.binary = found
        self.port = 0
        self.folder: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> RedisServer:
        self.folder = Path(tempfile.mkdtemp(prefix="retain-redis-"))
        self.port = free_port()
        log = self.folder / "redis.log"
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(self.folder), "--daemonize", "no"]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, self.process, log, deadline=60)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
