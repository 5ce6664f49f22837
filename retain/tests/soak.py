"""`make soak`: several Retain processes on one machine under load and faults, then an account of what was lost.

PostgreSQL (a database made for the run on the local server), Redis as broker and cache, nginx
(deploy/nginx/retain.conf.template) in front of two `retain web` processes, two `retain worker`
processes, one `retain beat`, and a local SMTP server, all real. For `--minutes` (10 by default):

- ingest: a steady rate of batches with unique message ids through nginx; a batch that fails
  (5xx, reset, timeout) is sent again, as Segment's clients do, until it is acknowledged;
- people: a signed-in member opening the accounts list, an account and the tasks page;
- programs: the REST API listing accounts;
- imports: new accounts (with a subscription and a champion) through the API every few seconds,
  which the default welcome playbook greets by e-mail on the next sweep;
- faults: one web process is killed with SIGKILL at 30% of the run and started again, one worker
  at 50%, and PostgreSQL is restarted at 70% (`--no-db-restart` to leave it alone).

Then the load stops, the workers drain, and the report counts: events acknowledged vs stored (lost,
duplicated), playbook steps run twice, e-mails received twice (the same Message-ID is an
at-least-once repeat; two Message-IDs for one step would be a real duplicate), 5xx answers
outside the database restart window, and p50/p99 latency of pages and ingest.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx
import psycopg

SECRET = "soak-secret-key-0123456789abcdef0123456789abcdef"
EMAIL, PASSWORD = "admin@soak.example", "soak-password-0123456789"
SETUP = (
    "from retain.tenancy.services import workspace_create, member_add, write_key_create, api_token_create\n"
    "from retain.playbooks.defaults import playbooks_install_defaults\n"
    "ws = workspace_create(name='Soak', slug='soak')\n"
    f"admin = member_add(workspace=ws, email='{EMAIL}', role='admin', first_name='Sam')\n"
    f"admin.user.set_password('{PASSWORD}'); admin.user.save()\n"
    "playbooks_install_defaults(workspace=ws)\n"
    "print('KEYS', write_key_create(workspace=ws, name='soak')[1], api_token_create(member=admin, name='soak')[1])\n"
)


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked_ids: set[str] = field(default_factory=set)
    ingest_ms: list[float] = field(default_factory=list)
    page_ms: list[float] = field(default_factory=list)
    api_ms: list[float] = field(default_factory=list)
    errors: list[tuple[float, str, int | str]] = field(default_factory=list)  # (when, what, status or error)
    imported: int = 0
    retries: int = 0

    def error(self, what: str, status: int | str) -> None:
        with self.lock:
            self.errors.append((time.monotonic(), what, status))


@dataclass
class Window:
    start: float = 0.0
    end: float = 0.0

    def covers(self, moment: float) -> bool:
        return self.start <= moment <= self.end if self.start else False


class Node:
    """One `retain` process in a session of its own, restartable."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], folder: Path) -> None:
        self.name, self.argv, self.env, self.folder = name, argv, env, folder
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"{self.name}.{self.starts}.log").open("wb")
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # fmt: skip

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _one(db: psycopg.Connection[Any], sql: str) -> tuple[Any, ...]:
    row = db.execute(sql.encode()).fetchone()
    assert row is not None
    return row


def _pg_restart() -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    argv = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    if os.geteuid() != 0:
        argv = ["sudo", *argv]
    subprocess.run(argv, check=True, timeout=180)


def run(args: argparse.Namespace) -> dict[str, Any]:  # one scenario, read top to bottom
    import trustme
    from aiosmtpd.controller import Controller

    from retain.tests.processes import free_port, nginx_find, nginx_start, wait_for_port

    nginx = nginx_find()
    if nginx is None:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    folder = Path(tempfile.mkdtemp(prefix="retain-soak-"))
    database = f"retain_soak_{uuid.uuid4().hex[:8]}"
    admin_url = args.postgres
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{database}"')
    db_url = admin_url.rsplit("/", 1)[0] + f"/{database}"

    received: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
            received.append(envelope.content)
            return "250 OK"

    smtp_port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    https_port, http_port = free_port(), free_port()
    site = f"https://127.0.0.1:{https_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"},
        "RETAIN_SECRET_KEY": SECRET, "RETAIN_DATA_DIR": str(folder), "RETAIN_DATABASE_URL": db_url,
        "RETAIN_BROKER_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "RETAIN_CACHE_URL": f"redis://127.0.0.1:6379/{args.redis_db + 1}",
        "RETAIN_ALLOWED_HOSTS": "127.0.0.1", "RETAIN_SITE_URL": site, "RETAIN_CSRF_TRUSTED_ORIGINS": site,
        "RETAIN_PROXY_SSL_HEADER": "X-Forwarded-Proto", "RETAIN_TRUSTED_PROXIES": "127.0.0.1/32",
        "RETAIN_EMAIL_HOST": "127.0.0.1", "RETAIN_EMAIL_PORT": str(smtp_port), "RETAIN_EMAIL_SECURITY": "none",
        "RETAIN_INGEST_RATE_PER_KEY": "1000000", "RETAIN_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    import redis

    for number in (args.redis_db, args.redis_db + 1):
        redis.Redis(host="127.0.0.1", port=6379, db=number).flushdb()
    retain = str(Path(sys.executable).with_name("retain"))
    say = print
    say(f"soak: {folder} database {database}")
    subprocess.run([retain, "migrate", "--verbosity", "0"], env=env, check=True, timeout=900)
    printed = subprocess.run([retain, "shell", "-c", SETUP], env=env, check=True, timeout=300,
                             capture_output=True, text=True).stdout  # fmt: skip
    write_key, api_token = printed.split("KEYS ")[-1].split()

    web_ports = [free_port(), free_port()]
    nodes = {
        "web0": Node("web0", [retain, "web", "--bind", f"127.0.0.1:{web_ports[0]}", "--workers", "2"], env, folder),
        "web1": Node("web1", [retain, "web", "--bind", f"127.0.0.1:{web_ports[1]}", "--workers", "2"], env, folder),
        "worker0": Node("worker0", [retain, "worker", "--concurrency", "2"], env, folder),
        "worker1": Node("worker1", [retain, "worker", "--concurrency", "2"], env, folder),
        "beat": Node("beat", [retain, "beat"], env, folder),
    }
    for node in nodes.values():
        node.start()
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "chain.pem"))
    proxy = nginx_start(nginx, folder, upstreams=web_ports, https_port=https_port, http_port=http_port,
                        certificate=folder / "chain.pem")  # fmt: skip
    for name, port in (("web0", web_ports[0]), ("web1", web_ports[1])):
        wait_for_port(port, nodes[name].process, folder / f"{name}.1.log")
    wait_for_port(https_port, proxy, folder / "error.log")
    context = ssl.create_default_context()
    ca.configure_trust(context)

    stats, window, stop = Stats(), Window(), threading.Event()
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()

    def ingest(worker: int) -> None:
        with httpx.Client(base_url=site, verify=context, timeout=30) as client:
            number = 0
            interval = args.batch * args.threads / args.rate
            while not stop.is_set():
                began = time.monotonic()
                number += 1
                ids = [f"w{worker}-b{number}-e{i}" for i in range(args.batch)]
                body = json.dumps({"batch": [
                    {"type": "track", "userId": f"u{i % 40}", "event": "Report Viewed", "messageId": message_id,
                     "context": {"groupId": f"acct-{i % 25}"}} for i, message_id in enumerate(ids)]})  # fmt: skip
                while True:  # at least once, as the real clients
                    sent = time.monotonic()
                    try:
                        answer = client.post("/v1/batch", content=body, headers={
                            "Authorization": auth, "Content-Type": "application/json"})  # fmt: skip
                        status: int | str = answer.status_code
                    except httpx.HTTPError as error:
                        status = type(error).__name__
                    if status == 200:
                        with stats.lock:
                            stats.acked_ids.update(ids)
                            stats.ingest_ms.append((time.monotonic() - sent) * 1000)
                        break
                    stats.error("ingest", status)
                    with stats.lock:
                        stats.retries += 1
                    time.sleep(0.5)  # the client's back-off before a resend
                stop.wait(max(0.0, interval - (time.monotonic() - began)))

    def person() -> None:
        with httpx.Client(base_url=site, verify=context, timeout=30) as client:
            signed_in = False
            while not stop.is_set():
                try:
                    if not signed_in:
                        page = client.get("/login/")
                        token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
                        answer = client.post("/login/", data={
                            "csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD},
                            headers={"Origin": site, "Referer": f"{site}/login/"})  # fmt: skip
                        signed_in = answer.status_code == 302
                        if not signed_in:
                            stats.error("sign-in", answer.status_code)
                    for path in ("/w/soak/accounts/", "/w/soak/tasks/", "/w/soak/"):
                        sent = time.monotonic()
                        answer = client.get(path)
                        if answer.status_code >= 500:
                            stats.error(path, answer.status_code)
                        else:
                            with stats.lock:
                                stats.page_ms.append((time.monotonic() - sent) * 1000)
                except (httpx.HTTPError, IndexError) as error:
                    stats.error("page", type(error).__name__)
                stop.wait(1.0)

    def program() -> None:
        headers = {"Authorization": f"Token {api_token}"}
        with httpx.Client(base_url=site, verify=context, timeout=30, headers=headers) as client:
            number = 0
            while not stop.is_set():
                try:
                    sent = time.monotonic()
                    answer = client.get("/api/v1/accounts/")
                    if answer.status_code >= 500:
                        stats.error("api", answer.status_code)
                    else:
                        with stats.lock:
                            stats.api_ms.append((time.monotonic() - sent) * 1000)
                    number += 1
                    if number % args.import_every == 0:
                        _import(client, number)
                except httpx.HTTPError as error:
                    stats.error("api", type(error).__name__)
                stop.wait(1.0)

    def _import(client: httpx.Client, number: int) -> None:
        external = f"acct-{number}"
        account = client.post(
            "/api/v1/accounts/",
            json={
                "name": f"Soak {number}",
                "external_id": external,
                "tier": "community",
                "domain": f"soak{number}.example",
            },
        )
        if account.status_code != 201:
            stats.error("import", account.status_code)
            if account.status_code < 500:
                print(f"soak: import refused: {account.text[:300]}")
            return
        account_id = account.json()["id"]
        today = time.strftime("%Y-%m-%d")
        client.post(
            "/api/v1/subscriptions/",
            json={
                "account": account_id,
                "product": "Pro",
                "seats": 5,
                "mrr": "100.00",
                "started_on": today,
                "term_end": "2027-12-31",
            },
        )
        client.post(
            "/api/v1/contacts/",
            json={
                "account": account_id,
                "email": f"champ@soak{number}.example",
                "first_name": "Cam",
                "role": "champion",
            },
        )
        with stats.lock:
            stats.imported += 1

    threads = [threading.Thread(target=ingest, args=(n,), daemon=True) for n in range(args.threads)]
    threads += [threading.Thread(target=person, daemon=True), threading.Thread(target=program, daemon=True)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    duration = args.minutes * 60
    faults = [(0.3, "kill web0"), (0.5, "kill worker0")] + ([] if args.no_db_restart else [(0.7, "restart db")])
    for share, fault in faults:
        stop.wait(max(0.0, began + share * duration - time.monotonic()))
        say(f"soak: {time.monotonic() - began:6.0f}s {fault}")
        if fault == "kill web0":
            nodes["web0"].kill()
            stop.wait(3)
            nodes["web0"].start()
        elif fault == "kill worker0":
            nodes["worker0"].kill()
            stop.wait(3)
            nodes["worker0"].start()
        else:
            window.start = time.monotonic()
            _pg_restart()
            while True:  # the window ends when a page answers again
                try:
                    if httpx.get(f"{site}/login/", verify=context, timeout=10).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            window.end = time.monotonic() + 5  # connections the processes held are replaced within seconds
    stop.wait(max(0.0, began + duration - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    say(f"soak: load stopped after {time.monotonic() - began:.0f}s; draining")

    # Drain: the fold and the outbox catch up (bounded, then measured as they are).
    deadline = time.monotonic() + args.drain
    pending_sql = "SELECT count(*) FROM messaging_outboundmessage WHERE status IN ('queued', 'sending', 'retrying')"
    with psycopg.connect(db_url) as db:
        while time.monotonic() < deadline and _one(db, pending_sql)[0]:
            time.sleep(2)  # a polling interval, bounded by --drain
        rows, distinct = _one(db, "SELECT count(*), count(DISTINCT message_id) FROM usage_event")
        stored = {row[0] for row in db.execute("SELECT message_id FROM usage_event")}
        steps_twice = _one(db, "SELECT count(*) FROM (SELECT 1 FROM playbooks_steprun "
                               "GROUP BY enrollment_id, index HAVING count(*) > 1) repeated")[0]  # fmt: skip
        step_runs = _one(db, "SELECT count(*) FROM playbooks_steprun")[0]
        outbound = _one(db, "SELECT count(*) FROM messaging_outboundmessage WHERE channel = 'email'")[0]
    for node in nodes.values():
        node.stop()
    os.killpg(proxy.pid, signal.SIGTERM)
    proxy.wait(timeout=30)
    smtp.stop()

    message_ids = Counter(str(message_from_bytes(raw).get("Message-ID", "")) for raw in received)
    outside = [e for e in stats.errors if str(e[2]).startswith("5") and not window.covers(e[0])]
    report = {
        "minutes": args.minutes, "load_1min": os.getloadavg()[0],
        "events_acknowledged": len(stats.acked_ids), "events_stored": rows,
        "events_lost": len(stats.acked_ids - stored), "events_duplicated": rows - distinct,
        "ingest_retries": stats.retries, "accounts_imported": stats.imported,
        "step_runs": step_runs, "step_runs_twice": steps_twice,
        "emails_outbound": outbound, "emails_received": len(received), "emails_distinct": len(message_ids),
        "emails_repeated_same_key": sum(count - 1 for count in message_ids.values()),
        "http_5xx_outside_db_restart": len(outside), "errors": len(stats.errors),
        "db_restart_window_s": round(window.end - window.start, 1) if window.start else 0,
        "ingest_p50_ms": round(statistics.median(stats.ingest_ms), 1) if stats.ingest_ms else 0,
        "ingest_p99_ms": round(_percentile(stats.ingest_ms, 0.99), 1),
        "page_p50_ms": round(statistics.median(stats.page_ms), 1) if stats.page_ms else 0,
        "page_p99_ms": round(_percentile(stats.page_ms, 0.99), 1),
        "api_p50_ms": round(statistics.median(stats.api_ms), 1) if stats.api_ms else 0,
        "restarts": {name: node.starts - 1 for name, node in nodes.items()},
        "error_kinds": {f"{what} {status}": count for (what, status), count in
                        Counter((what, str(status)) for _, what, status in stats.errors).most_common(10)},
    }  # fmt: skip
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    if outside:
        say(
            "soak: 5xx outside the restart window: " + ", ".join(f"{what} {status}" for _, what, status in outside[:20])
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=300, help="events per second, all ingest threads together")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--threads", type=int, default=3)
    parser.add_argument("--import-every", type=int, default=5, help="one account import per N API requests")
    parser.add_argument("--drain", type=float, default=180, help="seconds at most for the outbox to empty")
    parser.add_argument("--no-db-restart", action="store_true")
    parser.add_argument(
        "--postgres", default=os.environ.get("RETAIN_SOAK_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--redis-db", type=int, default=7)
    args = parser.parse_args()
    random.seed(0)
    report = run(args)
    print(json.dumps(report, indent=2))
    line = " ".join(f"{key}={value}" for key, value in report.items() if not isinstance(value, dict))
    print(line)
    failed = report["events_lost"] or report["events_duplicated"] or report["step_runs_twice"] \
        or report["http_5xx_outside_db_restart"]  # fmt: skip
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
