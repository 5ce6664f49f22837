"""`make soak`: several Retain processes on one machine under load and faults, then an account of what was lost.

PostgreSQL (a cluster of its own in a temporary folder, see retain/tests/servers.py, or a database
made for the run on `--postgres URL`), Redis (its own server, or `--redis URL`) as broker and cache,
nginx (deploy/nginx/retain.conf.template) in front of two `retain web` processes, two `retain worker`
processes, one `retain beat`, and a local SMTP server, all real. For `--minutes` (10 by default):

- ingest: a steady rate of batches with unique message ids through nginx; a batch that fails
  (5xx, reset, timeout) is sent again, as Segment's clients do, until it is acknowledged;
- people: a signed-in member opening the accounts list, an account and the tasks page;
- programs: the REST API listing accounts;
- imports: new accounts (with a subscription and a champion) through the API every few seconds,
  a 5xx tried again as a careful program does, which the default welcome playbook greets by
  e-mail on the next sweep;
- faults: one web process is killed with SIGKILL at 30% of the run and started again, one worker
  at 50%, and PostgreSQL is restarted at 70% (`--no-db-restart` to leave it alone). The restart is
  `pg_ctl restart -m fast` on the soak's own cluster; a server given with `--postgres` is restarted
  (with pg_ctlcluster) only with `--restart-existing-postgres`, since that cuts everyone using it.

Then the load stops and the workers drain (until every imported account got its welcome step and
the outbox is empty, `--drain` seconds at most), and the report counts: events acknowledged vs
stored (lost, duplicated), playbook steps run twice, e-mails received twice (the same Message-ID is
an at-least-once repeat; two Message-IDs for one recipient and subject would be a real duplicate),
5xx answers outside the database restart window (from the restart until a page answers through
nginx, plus 5 s; a POST that a killed web process was serving when it died is counted apart: nginx
rightly never re-sends it), p50/p99 latency of pages and ingest, what each fault caused until the
next one (60 s at most), and the machine's load average (sampled every 5 s). It exits non-zero
when any count that must be 0 is not; report.json and every process's log stay in the run's folder.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
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
from collections.abc import Callable
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


def _pg_restart_existing() -> None:
    """Restart the machine's own cluster (Debian's pg_ctlcluster): only with --restart-existing-postgres."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    argv = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    if os.geteuid() != 0:
        argv = ["sudo", *argv]
    subprocess.run(argv, check=True, timeout=180)


def _load_sampler(samples: list[float], stop: threading.Event, every: float = 5.0) -> threading.Thread:
    """Appends the 1-minute load average from /proc/loadavg every `every` seconds until `stop` is set."""

    def sample() -> None:
        while True:
            samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
            if stop.wait(every):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    return thread


def _spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {"min": 0.0, "median": 0.0, "max": 0.0, "samples": 0}
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "samples": len(values)}


def _page_answers(site: str, context: ssl.SSLContext, deadline: float = 300.0) -> float:
    """Seconds until the sign-in page answers 200 through nginx (polled every 0.5 s, bounded)."""
    began = time.monotonic()
    while time.monotonic() - began < deadline:
        try:
            if httpx.get(f"{site}/login/", verify=context, timeout=10).status_code == 200:
                return time.monotonic() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.5)  # a polling interval, bounded by the deadline
    raise RuntimeError(f"the sign-in page did not answer within {deadline}s")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start (or reach) PostgreSQL and Redis, run the scenario, and stop everything it started, whatever happens."""
    from retain.tests.servers import PostgresCluster, RedisServer

    with contextlib.ExitStack() as cleanup:
        restart: Callable[[], None] | None
        if args.postgres:
            admin_url = args.postgres
            restart = _pg_restart_existing if args.restart_existing_postgres else None
            if restart is None and not args.no_db_restart:
                print("soak: --postgres without --restart-existing-postgres: the database is not restarted")
        else:
            cluster = cleanup.enter_context(PostgresCluster(settings={"max_connections": "200"}))
            admin_url, restart = cluster.url(), cluster.restart
            print(f"soak: PostgreSQL of its own at {cluster.folder} port {cluster.port}")
        if args.no_db_restart:
            restart = None
        if args.redis:
            base = args.redis.rstrip("/")
            broker, cache = f"{base}/{args.redis_db}", f"{base}/{args.redis_db + 1}"
        else:
            server = cleanup.enter_context(RedisServer())
            broker, cache = server.url(0), server.url(1)
            print(f"soak: Redis of its own on port {server.port}")
        return _scenario(args, cleanup, admin_url=admin_url, restart=restart, broker=broker, cache=cache,
                         own_cluster=not args.postgres)  # fmt: skip


def _scenario(  # one scenario, read top to bottom
    args: argparse.Namespace,
    cleanup: contextlib.ExitStack,
    *,
    admin_url: str,
    restart: Callable[[], None] | None,
    broker: str,
    cache: str,
    own_cluster: bool,
) -> dict[str, Any]:
    import redis
    import trustme
    from aiosmtpd.controller import Controller

    from retain.tests.processes import free_port, nginx_find, nginx_start, wait_for_port

    nginx = nginx_find()
    if nginx is None:
        raise SystemExit("nginx is not installed (apt-get install nginx)")
    folder = Path(tempfile.mkdtemp(prefix="retain-soak-"))
    database = f"retain_soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{database}"')
    if not own_cluster:  # the own cluster goes away whole

        def drop() -> None:
            with psycopg.connect(admin_url, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

        cleanup.callback(drop)
    db_url = admin_url.rsplit("/", 1)[0] + f"/{database}"

    received: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
            received.append(envelope.content)
            return "250 OK"

    smtp_port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    smtp_running = [True]

    def smtp_stop() -> None:
        if smtp_running:
            smtp_running.clear()
            smtp.stop()

    cleanup.callback(smtp_stop)
    https_port, http_port = free_port(), free_port()
    site = f"https://127.0.0.1:{https_port}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"},
        "RETAIN_SECRET_KEY": SECRET, "RETAIN_DATA_DIR": str(folder), "RETAIN_DATABASE_URL": db_url,
        "RETAIN_BROKER_URL": broker, "RETAIN_CACHE_URL": cache,
        "RETAIN_ALLOWED_HOSTS": "127.0.0.1", "RETAIN_SITE_URL": site, "RETAIN_CSRF_TRUSTED_ORIGINS": site,
        "RETAIN_PROXY_SSL_HEADER": "X-Forwarded-Proto", "RETAIN_TRUSTED_PROXIES": "127.0.0.1/32",
        "RETAIN_EMAIL_HOST": "127.0.0.1", "RETAIN_EMAIL_PORT": str(smtp_port), "RETAIN_EMAIL_SECURITY": "none",
        "RETAIN_INGEST_RATE_PER_KEY": "1000000", "RETAIN_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    for url in (broker, cache):  # a shared server's databases may hold an earlier run's leftovers
        redis.Redis.from_url(url).flushdb()
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
        cleanup.callback(node.stop)
        node.start()
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "chain.pem"))
    proxy = nginx_start(nginx, folder, upstreams=web_ports, https_port=https_port, http_port=http_port,
                        certificate=folder / "chain.pem")  # fmt: skip

    def proxy_stop() -> None:
        if proxy.poll() is None:
            os.killpg(proxy.pid, signal.SIGTERM)
            proxy.wait(timeout=30)

    cleanup.callback(proxy_stop)
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

    def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response | None:
        """POST as a careful program does: a 5xx or a lost connection is tried again, bounded."""
        for _ in range(30):
            try:
                answer = client.post(path, json=body)
            except httpx.HTTPError as error:
                stats.error("import", type(error).__name__)
            else:
                if answer.status_code < 500:
                    return answer
                stats.error("import", answer.status_code)
            time.sleep(1.0)  # the client's back-off (Retry-After says 5 s; the harness is more eager)
        return None

    def _import(client: httpx.Client, number: int) -> None:
        external = f"acct-{number}"
        account = _post(
            client,
            "/api/v1/accounts/",
            {"name": f"Soak {number}", "external_id": external, "tier": "community", "domain": f"soak{number}.example"},
        )
        account_id = account.json()["id"] if account is not None and account.status_code == 201 else None
        if account is not None and account.status_code == 400:
            # Creating an account is not idempotent: a 400 after a retry may mean the first attempt landed.
            found = client.get("/api/v1/accounts/", params={"external_id": external})
            results = found.json().get("results", []) if found.status_code == 200 else []
            account_id = results[0]["id"] if len(results) == 1 and results[0].get("external_id") == external else None
        if account_id is None:
            stats.error("import", account.status_code if account is not None else "gave up")
            if account is not None and account.status_code < 500:
                print(f"soak: import refused: {account.text[:300]}")
            return
        today = time.strftime("%Y-%m-%d")
        subscription = _post(client, "/api/v1/subscriptions/", {
            "account": account_id, "product": "Pro", "seats": 5, "mrr": "100.00", "started_on": today,
            "term_end": "2027-12-31"})  # fmt: skip
        contact = _post(client, "/api/v1/contacts/", {"account": account_id, "email": f"champ@soak{number}.example",
                                                      "first_name": "Cam", "role": "champion"})  # fmt: skip
        if subscription is None or subscription.status_code != 201 or contact is None or contact.status_code != 201:
            stats.error("import", "incomplete")
            return
        with stats.lock:
            stats.imported += 1

    threads = [threading.Thread(target=ingest, args=(n,), daemon=True) for n in range(args.threads)]
    threads += [threading.Thread(target=person, daemon=True), threading.Thread(target=program, daemon=True)]
    loads: list[float] = []
    _load_sampler(loads, stop)
    began = time.monotonic()
    for thread in threads:
        thread.start()
    duration = args.minutes * 60
    faults = [(0.3, "kill web0"), (0.5, "kill worker0")] + ([] if restart is None else [(0.7, "restart db")])
    happened: list[dict[str, Any]] = []
    for share, fault in faults:
        stop.wait(max(0.0, began + share * duration - time.monotonic()))
        moment = time.monotonic()
        say(f"soak: {moment - began:6.0f}s {fault}")
        record: dict[str, Any] = {"fault": fault, "at_s": round(moment - began, 1), "moment": moment}
        if fault.startswith("kill "):
            node = nodes[fault.split()[1]]
            node.kill()
            stop.wait(3)  # a supervisor's restart delay
            node.start()
            if node.name.startswith("web"):
                port = web_ports[int(node.name[-1])]
                wait_for_port(port, node.process, folder / f"{node.name}.{node.starts}.log")
                record["listening_again_after_s"] = round(time.monotonic() - moment, 1)
        else:
            assert restart is not None
            window.start = moment
            restart()
            record["server_back_after_s"] = round(time.monotonic() - moment, 1)
            _page_answers(site, context)  # the window ends when a page answers again through nginx
            record["pages_back_after_s"] = round(time.monotonic() - moment, 1)
            window.end = time.monotonic() + 5  # connections the processes held are replaced within seconds
        happened.append(record)
    stop.wait(max(0.0, began + duration - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    say(f"soak: load stopped after {time.monotonic() - began:.0f}s; draining")

    # Drain: the fold and the outbox catch up (bounded, then measured as they are).
    deadline = time.monotonic() + args.drain
    pending_sql = "SELECT count(*) FROM messaging_outboundmessage WHERE status IN ('queued', 'sending', 'retrying')"
    welcomed_sql = (  # imported accounts whose welcome playbook ran its first step
        "SELECT count(DISTINCT e.account_id) FROM playbooks_enrollment e JOIN playbooks_playbook p "
        "ON p.id = e.playbook_id JOIN playbooks_steprun r ON r.enrollment_id = e.id WHERE p.key = 'welcome-community'"
    )
    with psycopg.connect(db_url, autocommit=True) as db:
        while time.monotonic() < deadline and (_one(db, pending_sql)[0] or _one(db, welcomed_sql)[0] < stats.imported):
            time.sleep(2)  # a polling interval, bounded by --drain
        welcomed = _one(db, welcomed_sql)[0]
        drained_after = round(time.monotonic() - deadline + args.drain, 1)
        rows, distinct = _one(db, "SELECT count(*), count(DISTINCT message_id) FROM usage_event")
        stored = {row[0] for row in db.execute("SELECT message_id FROM usage_event")}
        steps_twice = _one(db, "SELECT count(*) FROM (SELECT 1 FROM playbooks_steprun "
                               "GROUP BY enrollment_id, index HAVING count(*) > 1) repeated")[0]  # fmt: skip
        step_runs = _one(db, "SELECT count(*) FROM playbooks_steprun")[0]
        outbound = _one(db, "SELECT count(*) FROM messaging_outboundmessage WHERE channel = 'email'")[0]
        stuck = _one(db, pending_sql)[0]
        stuck_rows = [
            [str(value)[:120] for value in row]
            for row in db.execute(
                b"SELECT status, attempts, next_attempt_at, claimed_by, claimed_at, last_error, now() "
                b"FROM messaging_outboundmessage WHERE status IN ('queued', 'sending', 'retrying') ORDER BY id LIMIT 10"
            )
        ]
    for node in nodes.values():
        node.stop()
    proxy_stop()
    smtp_stop()

    mails = [message_from_bytes(raw) for raw in received]
    message_ids = Counter(str(mail.get("Message-ID", "")) for mail in mails)
    keys_per_mail: dict[tuple[str, str], set[str]] = {}
    for mail in mails:
        keys_per_mail.setdefault((str(mail["To"]), str(mail["Subject"])), set()).add(str(mail["Message-ID"]))
    server_errors = [e for e in stats.errors if str(e[2]).startswith("5")]
    in_flight: list[tuple[float, str, int | str]] = []
    moments = [record["moment"] for record in happened] + [float("inf")]
    for index, record in enumerate(happened):  # what each fault caused until the next one (60 s at most)
        moment = record.pop("moment")
        until = min(moment + 60, moments[index + 1])
        after = [e for e in stats.errors if moment <= e[0] < until]
        if record["fault"].startswith("kill web"):
            # A POST the killed process was serving: nginx never re-sends a non-idempotent request
            # an upstream already received (a page's form), so its sender sees one 502.
            lost = [e for e in after if e[2] == 502 and e[0] <= moment + 2]
            in_flight += lost
            record["in_flight_502"] = len(lost)
        kinds = Counter(f"{what} {status}" for _, what, status in after)
        record["errors_next_60s"] = dict(kinds.most_common())
        if after:
            record["last_error_after_s"] = round(max(e[0] for e in after) - moment, 1)
    outside = [e for e in server_errors if not window.covers(e[0]) and e not in in_flight]
    report = {
        "minutes": args.minutes, "load_1min": _spread(loads), "load_1min_at_end": os.getloadavg()[0],
        "events_acknowledged": len(stats.acked_ids), "events_stored": rows,
        "events_lost": len(stats.acked_ids - stored), "events_duplicated": rows - distinct,
        "ingest_retries": stats.retries, "accounts_imported": stats.imported,
        "accounts_welcomed": welcomed, "drain_s": drained_after,
        "step_runs": step_runs, "step_runs_twice": steps_twice,
        "emails_outbound": outbound, "emails_received": len(received), "emails_distinct": len(message_ids),
        "emails_repeated_same_key": sum(count - 1 for count in message_ids.values()),
        "emails_twice": sum(1 for ids in keys_per_mail.values() if len(ids) > 1), "outbox_not_drained": stuck,
        "outbox_stuck_rows": stuck_rows,
        "http_5xx_outside_db_restart": len(outside), "http_5xx_in_flight_at_web_kill": len(in_flight),
        "http_5xx_in_db_restart": len([e for e in server_errors if window.covers(e[0])]), "errors": len(stats.errors),
        "db_restart_window_s": round(window.end - window.start, 1) if window.start else 0,
        "faults": happened,
        "ingest_p50_ms": round(statistics.median(stats.ingest_ms), 1) if stats.ingest_ms else 0,
        "ingest_p99_ms": round(_percentile(stats.ingest_ms, 0.99), 1),
        "page_p50_ms": round(statistics.median(stats.page_ms), 1) if stats.page_ms else 0,
        "page_p99_ms": round(_percentile(stats.page_ms, 0.99), 1),
        "api_p50_ms": round(statistics.median(stats.api_ms), 1) if stats.api_ms else 0,
        "api_p99_ms": round(_percentile(stats.api_ms, 0.99), 1),
        "restarts": {name: node.starts - 1 for name, node in nodes.items()},
        "error_kinds": {f"{what} {status}": count for (what, status), count in
                        Counter((what, str(status)) for _, what, status in stats.errors).most_common(10)},
    }  # fmt: skip
    (folder / "report.json").write_text(json.dumps(report, indent=2, default=str))
    say(f"soak: report and the processes' logs are in {folder}")
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
    parser.add_argument("--drain", type=float, default=300, help="seconds at most for the outbox to empty")
    parser.add_argument("--no-db-restart", action="store_true")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("RETAIN_SOAK_POSTGRES"),
        help="an existing server's URL (a database is made on it for the run); by default a cluster of its own",
    )
    parser.add_argument(
        "--restart-existing-postgres",
        action="store_true",
        help="with --postgres: restart that server (pg_ctlcluster) at 70%%, cutting everyone else using it",
    )
    parser.add_argument("--redis", help="an existing Redis (redis://127.0.0.1:6379); by default a server of its own")
    parser.add_argument("--redis-db", type=int, default=7, help="with --redis: the broker's database (cache: +1)")
    args = parser.parse_args()
    random.seed(0)
    report = run(args)
    print(json.dumps(report, indent=2))
    line = " ".join(f"{key}={value}" for key, value in report.items() if not isinstance(value, dict))
    print(line)
    failed = report["events_lost"] or report["events_duplicated"] or report["step_runs_twice"] \
        or report["emails_twice"] or report["http_5xx_outside_db_restart"]  # fmt: skip
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
