"""`retain bench scale`: Retain at a large customer's size on PostgreSQL, each figure beside its target.

The runner makes a PostgreSQL database for the run (dropped after), migrates it, and runs `work`
inside `retain shell` there. Every figure is printed beside a target stated in `TARGETS` (set for
50,000 accounts and a billion events a year) and, where one exists, a raw reference measured in
the same run on the same tables.

1. History. N accounts (the health bench's synthetic usage process, `retain.health.bench`) over
   `days` days to today, so several monthly partitions hold events. The bulk history is written with
   COPY (events, their dedup keys, and the daily rollups the fold would have made of them, computed
   from the same plan), not through ingest: the fold's watermark is then set past them. A second
   workspace of N accounts is prepared as the playbooks bench prepares its one (`retain.playbooks.bench`).
2. `rescore_s`: `health_recompute` of every account against the health bench's raw INSERT … SELECT
   (`raw_rescore_s`), compared account by account on a sample.
3. Incremental: 1% of the accounts get new events today; `incr_fold_s` is the fold of them
   (`rollups_fold`) and `incr_rescore_s` the re-score of the accounts it touched (what the fold's
   hook runs after every minutely fold), against the raw reference restricted to the same accounts.
4. `sweep_s`: one playbook scan and sweep of the second workspace, against the playbooks bench's
   raw INSERT … SELECT (`raw_scan_s`, the scan's counterpart).
5. `list_p95_ms`: the accounts list of the second workspace through Django's test client, signed
   in as its manager: pages, sorts and filters, each URL once untimed, then `LIST_ROUNDS` timed
   rounds. No raw reference (a rendered page has no plain-SQL equivalent).
6. Retention: `drop_s`, the nightly job's drop of the oldest month (`partitions.months_drop_expired`:
   detach, drop, delete the month's dedup keys) against `raw_delete_s`, a DELETE of the same events
   and keys (in a transaction rolled back before the drop).
7. Sustained ingest, last (its events stay in the current month): `wrk` loads `/v1/batch` on
   Retain under gunicorn (as `retain bench ingest` does: one sync worker pinned to core 0, wrk on
   core 1) for `ingest_seconds` while the fold (`usage.jobs.fold_workspace`, hooks and all) runs back
   to back in a thread of this process. `fold_lag_p95_s`: every `PROBE_S` the newest stored event id
   is noted; its lag is the time from that moment to the end of the fold run whose watermark passed
   it (an upper bound per probe, by at most the probe interval). In production the fold runs once
   a minute, which adds up to 60 s. `raw_ingest_events_per_s`: the ingest bench's bare WSGI app under
   the same gunicorn, the same period, no fold.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retain.health import bench as health_bench
from retain.playbooks import bench as playbooks_bench
from retain.usage.bench.runner import BenchError, Server, run_in_fresh_database, wrk

# Figure → (target, how the figure must compare, what the target stands for).
TARGETS: dict[str, tuple[float, str, str]] = {
    "ingest_events_per_s": (320, ">=", "a billion events a year is 32/s on average; 10 times that for peaks"),
    "fold_lag_p95_s": (60, "<=", "health follows new usage within the minute the fold runs in"),
    "rescore_s": (1800, "<=", "the nightly full re-score of 50,000 accounts fits in half an hour"),
    "incr_s": (60, "<=", "fold and re-score of 1% of the accounts within the minute"),
    "sweep_s": (60, "<=", "the minutely playbook sweep ends within its minute"),
    "list_p95_ms": (1000, "<=", "the accounts list answers within a second"),
    "drop_s": (60, "<=", "dropping a month of events is not a long-running delete"),
}
# The last line of the output, in this order.
FIGURES = (
    "accounts", "events", "partitions", "ingest_events_per_s", "raw_ingest_events_per_s", "fold_lag_p95_s",
    "rescore_s", "raw_rescore_s", "incr_fold_s", "incr_rescore_s", "raw_incr_rescore_s", "incr_s",
    "sweep_s", "raw_scan_s", "list_p95_ms", "drop_s", "raw_delete_s", "targets_met",
)  # fmt: skip
DAYS = 180
SEED = 7
PROBE_S = 0.5
LIST_ROUNDS = 5
EVENT_COLUMNS = ("workspace_id", "message_id", "type", "name", "user_id", "anonymous_id", "group_id", "account_id",
                 "properties", "timestamp", "received_at")  # fmt: skip


# The history (COPY) -------------------------------------------------------------------------------


def copy_history(workspace_id: int, account_ids: list[int], days_of: Any) -> dict[str, int]:
    """The planned days as raw events, their dedup keys and their rollups, with COPY; what was written.

    One pass over the plan: each day's events go to `usage_event` (into its month's partition), its
    keys to `usage_event_key`, its rollup rows (`health_bench.rollup_rows`, the rows the fold writes)
    to the three rollup tables, each through a COPY of its own, flushed every 200,000 events; the
    tables' indexes and constraints are built after the load (`indexes_built_after`).
    """
    from django.db import connection, transaction

    from retain.usage.partitions import month_of

    flush_every = 200_000
    received = dt.datetime.now(dt.UTC)
    buffers: dict[str, list[tuple[Any, ...]]] = {"events": [], "keys": [], "a": [], "u": [], "f": []}
    statements = {
        "events": f"COPY usage_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN",
        "keys": "COPY usage_event_key (workspace_id, message_id, month) FROM STDIN",
        "a": "COPY usage_dailyaccountusage (workspace_id, account_id, day, events, active_users, logins, "
        "tickets_created, tickets_escalated, tickets_solved, key_events) FROM STDIN",
        "u": "COPY usage_dailyuserusage (workspace_id, account_id, user_id, day, events) FROM STDIN",
        "f": "COPY usage_dailyfeatureusage (workspace_id, account_id, feature, day, events) FROM STDIN",
    }
    counts = dict.fromkeys(buffers, 0)

    def flush() -> None:
        raw = connection.connection
        assert raw is not None
        with raw.cursor() as cursor:
            for name, rows in buffers.items():
                if not rows:
                    continue
                with cursor.copy(statements[name]) as copy:
                    for row in rows:
                        copy.write_row(row)
                counts[name] += len(rows)
                rows.clear()

    with transaction.atomic(), connection.cursor() as cursor, indexes_built_after(cursor, HISTORY_TABLES):
        for index, account_id in enumerate(account_ids):
            for plan in days_of(index):
                account_row, user_rows, feature_rows = health_bench.rollup_rows(workspace_id, account_id, plan)
                buffers["a"].append((*account_row[:7], 0, *account_row[7:]))  # no escalations planned
                buffers["u"].extend(user_rows)
                buffers["f"].extend(feature_rows)
                month = month_of(plan.day)
                for message_id, name, user, group, event_account, timestamp in health_bench.day_events(
                    index, account_id, plan
                ):
                    buffers["events"].append((workspace_id, message_id, "track", name, user, "", group,
                                              event_account, "{}", timestamp, received))  # fmt: skip
                    buffers["keys"].append((workspace_id, message_id, month))
            if len(buffers["events"]) >= flush_every:
                flush()
        flush()
    return counts


HISTORY_TABLES = ("usage_event", "usage_event_key", "usage_dailyaccountusage", "usage_dailyuserusage",
                  "usage_dailyfeatureusage")  # fmt: skip


@contextlib.contextmanager
def indexes_built_after(cursor: Any, tables: tuple[str, ...]) -> Iterator[None]:
    """A bulk load's usual shape: the tables' indexes and constraints dropped, the load, then each
    rebuilt from its own definition (one sorted build, one check, instead of a per-row update).

    On a partitioned table the parent's index and constraint are dropped and made again, which
    builds them on every partition.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u', 'f') AND conparentid = 0",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _, definition in indexes:
        cursor.execute(definition.replace(" ON ONLY ", " ON "))
    # Primary and unique keys before the foreign keys that may need them.
    for table, name, definition in sorted(constraints, key=lambda row: row[2].startswith("FOREIGN")):
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def table_sizes(events: int) -> dict[str, Any]:
    """Bytes on disk per event (tables and indexes): raw events with their keys, and the daily rollups."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
            "WHERE inhparent = 'usage_event'::regclass) + pg_total_relation_size('usage_event_key'), "
            "pg_total_relation_size('usage_dailyaccountusage') + pg_total_relation_size('usage_dailyuserusage') "
            "+ pg_total_relation_size('usage_dailyfeatureusage'), pg_database_size(current_database())"
        )
        raw, rollups, database = cursor.fetchone()
    return {
        "event_bytes": round(int(raw) / max(1, events)),
        "rollup_bytes_per_event": round(int(rollups) / max(1, events)),
        "database_mb": round(int(database) / 2**20),
    }


def _mark_folded(workspace: Any) -> int:
    """The fold's watermark past the history, as if the fold had written its rollups."""
    from django.db.models import Max

    from retain.usage.models import RollupState, UsageEvent

    high = UsageEvent.objects.filter(workspace=workspace).aggregate(high=Max("id"))["high"] or 0
    RollupState.objects.update_or_create(workspace=workspace, defaults={"last_event_id": high})
    return int(high)


# Incremental: new events for 1% of the accounts -----------------------------------------------------


def _new_events(workspace: Any, account_ids: list[int], day: dt.date, seed: int) -> int:
    """A busy day's events for each of the accounts (their bench users, some features), with keys."""
    from django.db import connection

    from retain.usage.vocabulary import LOGIN

    rng = random.Random(seed)
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    index_of = {
        pk: int(external.removeprefix("bench-"))
        for pk, external in workspace.accounts.filter(pk__in=account_ids).values_list("pk", "external_id")
    }
    events: list[tuple[Any, ...]] = []
    for account_id in account_ids:
        index = index_of[account_id]
        for n in range(20):
            user = f"u{index}-{n % 4}"
            name = LOGIN if n < 4 else health_bench.FEATURES[rng.randrange(len(health_bench.FEATURES))]
            events.append((workspace.pk, f"incr-{account_id}-{n}", "track", name, user, "", f"bench-{index}",
                           account_id, "{}", at + dt.timedelta(seconds=n), at))  # fmt: skip
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(EVENT_COLUMNS))
        cursor.executemany(f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})", events)
        cursor.executemany(
            "INSERT INTO usage_event_key (workspace_id, message_id, month) VALUES (%s, %s, %s)",
            [(row[0], row[1], dt.date(day.year, day.month, 1)) for row in events],
        )
    return len(events)


# The accounts list ---------------------------------------------------------------------------------------


def list_urls(slug: str, pages: int) -> list[str]:
    """Pages, sorts and filters of the accounts list a CSM team uses."""
    from retain.web.forms import SORT_CHOICES

    base = f"/w/{slug}/accounts/"
    urls = [base, f"{base}?page=2", f"{base}?page={max(1, pages // 2)}", f"{base}?page={pages}"]
    urls += [f"{base}?sort={key}" for key, _ in SORT_CHOICES]
    urls += [
        f"{base}?tier=enterprise&sort=-arr",
        f"{base}?stage=renewal&sort=renewal",
        f"{base}?stage=onboarding&tier=strategic",
        f"{base}?q=account+12",
        f"{base}?renewal_within_days=90&sort=renewal&page=2",
        f"{base}?arr_min=20000&per_page=100",
    ]
    return urls


def accounts_list_p95(workspace: Any) -> dict[str, Any]:
    """Every URL once untimed, then LIST_ROUNDS timed rounds; p50 and p95 in milliseconds."""
    from django.test import Client
    from django.urls import reverse

    from retain.tenancy.models import Member

    manager = Member.objects.filter(workspace=workspace, role="manager").select_related("user").first()
    if manager is None:
        raise BenchError("the playbooks workspace has no manager to sign in as")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager.user)
    if reverse("accounts", args=[workspace.slug]) != f"/w/{workspace.slug}/accounts/":
        raise BenchError(f"the accounts list is at {reverse('accounts', args=[workspace.slug])}, not /w/…/accounts/")
    pages = max(1, -(-workspace.accounts.count() // 50))
    urls = list_urls(workspace.slug, pages)
    for url in urls:
        _get(client, url)
    timings = []
    for _ in range(LIST_ROUNDS):
        for url in urls:
            began = time.perf_counter()
            _get(client, url)
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "list_requests": len(timings),
        "list_p50_ms": round(statistics.median(timings), 1),
        "list_p95_ms": round(timings[max(0, round(len(timings) * 0.95) - 1)], 1),
        "list_max_ms": round(timings[-1], 1),
    }


def _get(client: Any, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}")


# Retention --------------------------------------------------------------------------------------------------


def drop_oldest_month() -> dict[str, Any]:
    """DELETE the oldest month's events and keys (timed, rolled back), then the nightly drop of it (timed)."""
    from dateutil.relativedelta import relativedelta
    from django.db import connection, transaction

    from retain.usage import partitions

    monthly = [(name, rows) for name, rows in partitions.partitions_list() if name != partitions.DEFAULT and rows]
    if len(monthly) < 2:
        raise BenchError(f"the history fills {len(monthly)} monthly partitions; the retention check needs two")
    name, rows = monthly[0]
    month = dt.date(int(name[13:17]), int(name[18:20]), 1)
    end = month + relativedelta(months=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usage_event")
        before = int(cursor.fetchone()[0])
    with transaction.atomic(), connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute(
            'DELETE FROM usage_event WHERE "timestamp" >= %s AND "timestamp" < %s',
            [dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC), dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)],
        )
        deleted = cursor.rowcount
        cursor.execute("DELETE FROM usage_event_key WHERE month = %s", [month])
        raw_delete_s = time.perf_counter() - began
        transaction.set_rollback(True)
    if deleted != rows:
        raise BenchError(f"the DELETE reference removed {deleted} events of {name}'s {rows}")
    began = time.perf_counter()
    dropped = partitions.months_drop_expired(cutoff=end)
    drop_s = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usage_event")
        after = int(cursor.fetchone()[0])
    if dropped.partitions != [name] or before - after != rows or dropped.keys_deleted != rows:
        raise BenchError(
            f"the drop removed {dropped.partitions} ({before - after} events, {dropped.keys_deleted} keys); "
            f"expected {name} ({rows} events and keys)"
        )
    return {"dropped_events": rows, "drop_s": round(drop_s, 2), "raw_delete_s": round(raw_delete_s, 2)}


# Sustained ingest with the fold running ---------------------------------------------------------------


class FoldLoop(threading.Thread):
    """The minutely fold job's work for one workspace, back to back, with each run's end and watermark."""

    def __init__(self, workspace: Any) -> None:
        super().__init__(daemon=True)
        self.workspace = workspace
        self.stop = threading.Event()
        self.runs: list[tuple[float, int, int]] = []  # (ended at, watermark, events folded)
        self.error: BaseException | None = None

    def run(self) -> None:
        from django.db import connection

        from retain.usage.jobs import fold_workspace

        try:
            while not self.stop.is_set():
                result = fold_workspace(self.workspace)
                self.runs.append((time.monotonic(), result.watermark, result.events_folded))
                if not result.events_folded:
                    self.stop.wait(0.2)
        except BaseException as exc:  # reported by the caller
            self.error = exc
        finally:
            connection.close()


class Probe(threading.Thread):
    """Every PROBE_S, the moment and the newest stored event id of the workspace."""

    def __init__(self, workspace_id: int) -> None:
        super().__init__(daemon=True)
        self.workspace_id = workspace_id
        self.stop = threading.Event()
        self.samples: list[tuple[float, int]] = []

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT max(id) FROM usage_event WHERE workspace_id = %s", [self.workspace_id])
                    self.samples.append((time.monotonic(), int(cursor.fetchone()[0] or 0)))
                self.stop.wait(PROBE_S)
        finally:
            connection.close()


def fold_lags(samples: list[tuple[float, int]], runs: list[tuple[float, int, int]], since: int) -> list[float]:
    """For each sample of an event id above `since`: seconds from the sample until the end of the first
    fold run whose watermark passed it (0 when that run had ended already: it was folded by then)."""
    lags = []
    for at, high in samples:
        if high <= since:
            continue
        ended = next((end for end, watermark, _ in runs if watermark >= high), None)
        if ended is None:
            raise BenchError(f"the fold never reached event {high} (watermark {runs[-1][1] if runs else since})")
        lags.append(max(0.0, ended - at))
    return lags


def _stored(workspace_id: int, after: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usage_event WHERE workspace_id = %s AND id > %s", [workspace_id, after])
        return int(cursor.fetchone()[0])


def _high(workspace_id: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM usage_event WHERE workspace_id = %s", [workspace_id])
        return int(cursor.fetchone()[0])


def sustained_ingest(
    workspace: Any, other: Any, seconds: int, *, batch: int = 100, connections: int = 16
) -> dict[str, Any]:
    """Retain's /v1/batch under load for `seconds` with the fold running; then the raw WSGI reference,
    writing into `other` (wrk sends the same message ids again, which `workspace` would refuse)."""
    from django.conf import settings

    from retain.tenancy.services import write_key_create

    _, key = write_key_create(workspace=workspace, name="scale bench")
    env = dict(os.environ)
    folder = Path(tempfile.mkdtemp(prefix="retain-scale-"))
    start = _high(workspace.pk)
    fold, probe = FoldLoop(workspace), Probe(workspace.pk)
    server = Server.gunicorn("retain.config.wsgi:application", env, folder / "retain.log")
    try:
        server.warm_up(key)
        fold.start()
        probe.start()
        loaded = wrk(server.port, key=key, batch=batch, connections=connections, requests_per_thread=10**9,
                     seconds=seconds)  # fmt: skip
    finally:
        server.stop()
        probe.stop.set()
        probe.join()
    final = _high(workspace.pk)
    deadline = time.monotonic() + max(120, 4 * seconds)
    while fold.is_alive() and (not fold.runs or fold.runs[-1][1] < final) and time.monotonic() < deadline:
        time.sleep(0.2)
    fold.stop.set()
    fold.join()
    if fold.error is not None:
        raise BenchError(f"the fold failed during the ingest: {fold.error!r}")
    stored = _stored(workspace.pk, start)
    folded = sum(n for _, _, n in fold.runs)
    if loaded.non2xx or loaded.errors or stored < loaded.accepted:
        raise BenchError(
            f"ingest answered {loaded.non2xx} non-2xx and {loaded.errors} errors; it acknowledged "
            f"{loaded.accepted} events and stored {stored}"
        )
    if folded != stored:
        raise BenchError(f"the fold folded {folded} of the {stored} events stored during the ingest")
    lags = sorted(fold_lags(probe.samples, fold.runs, start))
    if not lags:
        raise BenchError("no event was stored during the ingest")

    raw_start = _high(other.pk)
    raw_env = {**env, "RETAIN_BENCH_RAW_DATABASE": _database_url(settings.DATABASES["default"]),
               "RETAIN_BENCH_WORKSPACE_ID": str(other.pk)}  # fmt: skip
    raw_server = Server.gunicorn("retain.usage.bench.raw_app:application", raw_env, folder / "raw.log")
    try:
        raw_server.warm_up(key)
        raw = wrk(raw_server.port, key=key, batch=batch, connections=connections, requests_per_thread=10**9,
                  seconds=seconds)  # fmt: skip
    finally:
        raw_server.stop()
    raw_stored = _stored(other.pk, raw_start)
    if raw.non2xx or raw.errors or raw_stored < raw.accepted:
        raise BenchError(f"the raw reference acknowledged {raw.accepted} events and stored {raw_stored}")
    return {
        "ingest_events_per_s": round(loaded.accepted / loaded.seconds) if loaded.seconds else 0,
        "ingest_events": loaded.accepted,
        "ingest_p99_ms": round(loaded.p99_ms, 1),
        "fold_runs": len(fold.runs),
        "fold_lag_p50_s": round(statistics.median(lags), 2),
        "fold_lag_p95_s": round(lags[max(0, round(len(lags) * 0.95) - 1)], 2),
        "fold_lag_max_s": round(lags[-1], 2),
        "raw_ingest_events_per_s": round(raw.accepted / raw.seconds) if raw.seconds else 0,
    }


def _database_url(database: dict[str, Any]) -> str:
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{database.get('USER') or 'postgres'}{password}@{host}:{port}/{database['NAME']}"


# The run inside the configured process --------------------------------------------------------------


def work(accounts: int, events: int, ingest_seconds: int, days: int = DAYS, seed: int = SEED) -> None:
    """Build, measure, check; prints one `RESULT {json}` line."""
    from django.db import connection

    from retain.accounts.selectors import workspace_today
    from retain.health.services import scorecard_publish
    from retain.tenancy.services import workspace_create
    from retain.usage import partitions
    from retain.usage.rollups import rollups_fold

    if connection.vendor != "postgresql":
        raise BenchError("retain bench scale runs on PostgreSQL only (monthly partitions, COPY)")
    say = health_bench._say
    figures: dict[str, Any] = {"accounts": accounts}

    workspace = workspace_create(name="Scale", slug="scale")
    day = workspace_today(workspace)
    plans = health_bench.plan_accounts(accounts, seed)
    per_active_day = health_bench.calibrate(plans, events, seed, day, days)
    ids = health_bench._create_accounts(workspace, plans, day)
    partitions.months_ensure(today=day, since=day - dt.timedelta(days=days - 1))

    def days_of(index: int) -> Iterator[health_bench.DayPlan]:
        return health_bench.plan_days(index, plans[index], day, per_active_day, seed, days)

    say(f"  {accounts} accounts; COPY of about {events} events over {days} days, their keys and rollups")
    began = time.perf_counter()
    written = copy_history(workspace.pk, ids, days_of)
    figures["events"] = written["events"]
    figures["copy_s"] = round(time.perf_counter() - began, 1)
    figures["copy_rows"] = written
    _mark_folded(workspace)
    figures.update(table_sizes(figures["events"]))
    figures["partitions"] = sum(1 for name, rows in partitions.partitions_list() if rows)
    say(f"  {written['events']} events in {figures['partitions']} partitions in {figures['copy_s']} s")

    say("  preparing the playbooks workspace")
    second = workspace_create(name="Scale playbooks", slug="scale-playbooks")
    playbooks_bench.prepare(second, accounts, day, seed)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    scorecard = scorecard_publish(
        workspace=workspace, actor=None, text=health_bench.REFERENCE, filename="bench-reference.yaml"
    )
    full = health_bench.rescore_against_raw(workspace, day, scorecard.pk, seed=seed)
    figures.update(rescore_s=round(full["rescore_s"], 2), raw_rescore_s=round(full["raw_s"], 2),
                   checked=full["checked"])  # fmt: skip

    say("  new events for 1% of the accounts; the fold and the re-score after it")
    chosen = sorted(random.Random(seed).sample(ids, max(1, len(ids) // 100)))
    _new_events(workspace, chosen, day, seed)
    began = time.perf_counter()
    folded = rollups_fold(workspace=workspace)
    incr_fold_s = time.perf_counter() - began
    if sorted(folded.account_ids) != chosen:
        raise BenchError(f"the fold touched {len(folded.account_ids)} accounts, not the {len(chosen)} chosen")
    incremental = health_bench.rescore_against_raw(
        workspace, day, scorecard.pk, seed=seed, account_ids=list(folded.account_ids),
        store_day=day + dt.timedelta(days=2),
    )  # fmt: skip
    figures.update(
        incr_accounts=len(chosen),
        incr_fold_s=round(incr_fold_s, 2),
        incr_rescore_s=round(incremental["rescore_s"], 2),
        raw_incr_rescore_s=round(incremental["raw_s"], 2),
        incr_s=round(incr_fold_s + incremental["rescore_s"], 2),
    )

    say("  one playbook scan and sweep")
    swept = playbooks_bench.scan_against_raw(second, day, accounts=accounts)
    figures.update(sweep_s=swept["sweep_s"], scan_s=swept["scan_s"], raw_scan_s=swept["raw_s"],
                   enrolled=swept["enrolled"])  # fmt: skip

    say("  the accounts list")
    figures.update(accounts_list_p95(second))

    say("  retention: the oldest month")
    figures.update(drop_oldest_month())

    say(f"  sustained ingest for {ingest_seconds} s with the fold running, then the raw reference")
    figures.update(sustained_ingest(workspace, second, ingest_seconds))

    judge(figures)
    print("RESULT " + json.dumps(figures))


# Figure → its raw reference in the same run, and what the reference does.
REFERENCES = {
    "ingest_events_per_s": ("raw_ingest_events_per_s", "bare WSGI app, executemany, same gunicorn, no fold"),
    "rescore_s": ("raw_rescore_s", "one INSERT … SELECT over the same rollups"),
    "incr_s": ("raw_incr_rescore_s", "the same INSERT … SELECT for the touched accounts (re-score only)"),
    "sweep_s": ("raw_scan_s", "one INSERT … SELECT of the same enrolments (scan only)"),
    "drop_s": ("raw_delete_s", "DELETE of the same events and keys"),
}


def report(figures: dict[str, Any]) -> list[str]:
    """One line per target: the figure, the target, the raw reference, met or not."""
    lines = [
        f"{figures['accounts']} accounts, {figures['events']} events in {figures['partitions']} monthly partitions "
        f"(history loaded with COPY in {figures['copy_s']} s)",
    ]
    for name, (target, how, why) in TARGETS.items():
        reference = REFERENCES.get(name)
        raw = f"; raw {figures[reference[0]]} ({reference[1]})" if reference else ""
        verdict = "met" if figures["checks"][name] else "NOT MET"
        lines.append(f"{name}={figures[name]} (target {how} {target}: {why}) {verdict}{raw}")
    shown = {*FIGURES, *(reference for reference, _ in REFERENCES.values()), "checks", "copy_rows"}
    details = " ".join(f"{name}={value}" for name, value in figures.items() if name not in shown)
    lines.append(f"Also: {details} copy_rows={json.dumps(figures.get('copy_rows', {}), separators=(',', ':'))}")
    lines.append(
        f"Checked: health scores equal to the raw reference on {figures.get('checked', 'a sample of')} accounts, the "
        f"same enrolments both ways, every acknowledged event stored and folded, {figures['list_requests']} list "
        "pages answered 200, the oldest month's events and keys gone and nothing else."
    )
    return lines


def judge(figures: dict[str, Any]) -> None:
    """Each target met or not (`checks`), and how many (`targets_met`)."""
    figures["checks"] = {name: _meets(name, figures[name]) for name in TARGETS}
    figures["targets_met"] = f"{sum(figures['checks'].values())}/{len(TARGETS)}"


def _meets(name: str, value: float) -> bool:
    target, how, _ = TARGETS[name]
    return value >= target if how == ">=" else value <= target


# The runner ------------------------------------------------------------------------------------------------


def run_scale_bench(
    *, accounts: int, events: int, ingest_seconds: int, days: int, postgres_url: str, out: Any
) -> dict[str, Any]:
    """A fresh PostgreSQL database, migrated; `work` in a subprocess configured for it; the figures."""
    import shutil

    if not postgres_url.startswith(("postgres://", "postgresql://")):
        raise BenchError(
            f"retain bench scale runs on PostgreSQL only (monthly partitions, COPY); --postgres-url "
            f"{postgres_url.split(':', 1)[0]}:… is not a PostgreSQL URL"
        )
    if accounts < 100 or events < accounts or ingest_seconds < 1 or days < 35:
        raise BenchError("--accounts must be at least 100, --events at least --accounts, --ingest-seconds "
                         "at least 1 and --days at least 35 (two months of partitions)")  # fmt: skip
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian package 'wrk': apt-get install wrk)")
    return run_in_fresh_database(
        name="scale",
        database="postgres",
        postgres_url=postgres_url,
        script=f"from retain.config.bench_scale import work; work({accounts}, {events}, {ingest_seconds}, {days})",
        heading=f"Scale (PostgreSQL): {accounts} accounts, {events} events over {days} days, "
        f"{ingest_seconds} s of ingest",
        out=out,
    )
