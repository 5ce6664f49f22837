"""Folding raw events into daily usage per account, per account-user and per account-feature.

Incremental: each run folds the events after the workspace's watermark and adds them to the
rows they touch. Idempotent: the watermark moves in the same transaction as the rows, so a run
that fails folds nothing and the next one starts from the same place. Accounts whose earlier
events were attributed late (RollupDirty) are recomputed from raw events, and a full rebuild from
raw gives exactly the rows the incremental runs produced (tested).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, QuerySet

from retain.lib.dates import local_day, start_of_day, today_in
from retain.tenancy.models import Workspace
from retain.usage.models import (
    DailyAccountUsage,
    DailyFeatureUsage,
    DailyUserUsage,
    RollupDirty,
    RollupState,
    UsageEvent,
)
from retain.usage.vocabulary import LOGIN, TICKET_EVENTS, feature_of, is_activity, kept_event

CHUNK = 5000
# Late-attributed accounts rebuilt from raw events per transaction.
DIRTY_CHUNK = 50
COUNTERS = ("events", "logins", "tickets_created", "tickets_escalated", "tickets_solved")


@dataclass
class Fold:
    """Increments gathered from a run of events, before they are added to the stored rows.

    `add` is the one place that decides what an event counts towards (activity, logins, tickets, key
    events, its user's and its feature's day); every way rollups are written goes through it.
    """

    accounts: dict[tuple[int, dt.date], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    key_events: dict[tuple[int, dt.date], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    users: Counter[tuple[int, str, dt.date]] = field(default_factory=Counter)
    features: Counter[tuple[int, str, dt.date]] = field(default_factory=Counter)
    folded: int = 0

    def add(self, account_id: int, user: str, call_type: str, name: str, properties: Any, day: dt.date) -> None:
        if not is_activity(call_type):
            return
        self.folded += 1
        counts = self.accounts[(account_id, day)]
        counts["events"] += 1
        if call_type == "track":
            if name == LOGIN:
                counts["logins"] += 1
            elif name in TICKET_EVENTS:
                counts[TICKET_EVENTS[name]] += 1
        kept = kept_event(call_type, name)
        if kept is not None:
            self.key_events[(account_id, day)][kept] += 1
        self.users[(account_id, user, day)] += 1
        feature = feature_of(call_type, name, properties if isinstance(properties, dict) else {})
        if feature is not None:
            self.features[(account_id, feature, day)] += 1


FoldProgress = Callable[[int, int], None]  # (events folded so far, events to fold)


@dataclass(frozen=True)
class FoldResult:
    events_folded: int
    accounts_recomputed: int
    watermark: int
    # Every account whose rollups changed (new events or recomputed): what health re-scores.
    account_ids: tuple[int, ...] = ()


def _gather(workspace: Workspace, events: QuerySet[UsageEvent]) -> Fold:
    fold = Fold()
    rows = events.order_by().values_list(
        "account_id", "user_id", "anonymous_id", "type", "name", "properties", "timestamp"
    )
    for account_id, user_id, anonymous_id, call_type, name, properties, timestamp in rows.iterator(chunk_size=CHUNK):
        fold.add(
            account_id, user_id or anonymous_id, call_type, name, properties, local_day(timestamp, workspace.time_zone)
        )
    return fold


def _apply(workspace: Workspace, fold: Fold) -> None:
    """Add a fold's increments to the stored rows (read, add, write: we hold the workspace's lock)."""
    if not fold.accounts:
        return
    account_ids = {account_id for account_id, _ in fold.accounts}
    days = {day for _, day in fold.accounts}
    existing = {
        (row.account_id, row.day): row
        for row in DailyAccountUsage.objects.filter(account_id__in=account_ids, day__in=days)
    }
    create: list[DailyAccountUsage] = []
    update: list[DailyAccountUsage] = []
    for key, counts in fold.accounts.items():
        row = existing.get(key) or DailyAccountUsage(workspace=workspace, account_id=key[0], day=key[1])
        for name in COUNTERS:
            setattr(row, name, getattr(row, name) + counts[name])
        merged = Counter(row.key_events) + fold.key_events.get(key, Counter())
        row.key_events = dict(sorted(merged.items()))
        (update if row.pk else create).append(row)
    scope = {"account_id__in": account_ids, "day__in": days}
    _add_counts(DailyUserUsage, workspace, fold.users, ("account_id", "user_id", "day"), scope)
    _add_counts(DailyFeatureUsage, workspace, fold.features, ("account_id", "feature", "day"), scope)
    active = {
        (row["account_id"], row["day"]): row["n"]
        for row in DailyUserUsage.objects.filter(account_id__in=account_ids, day__in=days)
        .values("account_id", "day")
        .annotate(n=Count("id"))
    }
    for row in [*create, *update]:
        row.active_users = active.get((row.account_id, row.day), 0)
    fields = ["workspace_id", "account_id", "day", *COUNTERS, "key_events", "active_users"]
    _insert_rows(DailyAccountUsage, fields, [tuple(getattr(row, name) for name in fields) for row in create])
    _update_rows(DailyAccountUsage, update, [*COUNTERS, "key_events", "active_users"])


def _add_counts(
    model: Any, workspace: Workspace, counts: Counter[Any], key_fields: tuple[str, ...], scope: dict[str, Any]
) -> None:
    if not counts:
        return
    existing = {tuple(getattr(row, f) for f in key_fields): row for row in model.objects.filter(**scope)}
    create: list[tuple[Any, ...]] = []
    update: list[Any] = []
    for key, n in counts.items():
        row = existing.get(key)
        if row is None:
            create.append((workspace.pk, *key, n))
        else:
            row.events += n
            update.append(row)
    _insert_rows(model, ["workspace_id", *key_fields, "events"], create)
    _update_rows(model, update, ["events"])


def _insert_rows(model: Any, fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Write new rows with one prepared INSERT run for every row (values in `fields` order).

    Not bulk_create: building a model instance per row cost most of the fold of a long history (a
    year of a thousand accounts is millions of per-user and per-feature rows). Each column's value
    is prepared for the database as the ORM would (a day once per distinct day).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    prepare: list[Callable[[Any], Any] | None] = []
    for column in columns:
        if column.get_internal_type() in ("ForeignKey", "PositiveIntegerField", "CharField"):
            prepare.append(None)  # ints and strings go to the driver as they are
        else:
            memo: dict[Any, Any] = {}

            def prep(value: Any, column: Any = column, memo: dict[Any, Any] = memo) -> Any:
                if isinstance(value, dt.date):
                    if value not in memo:
                        memo[value] = column.get_db_prep_save(value, connection)
                    return memo[value]
                return column.get_db_prep_save(value, connection)

            prepare.append(prep)
    names = ", ".join(quote(column.column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"
    params = [[value if how is None else how(value) for how, value in zip(prepare, row, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(params), 5000):
            cursor.executemany(sql, params[start : start + 5000])


def _update_rows(model: Any, rows: list[Any], fields: list[str]) -> None:
    """Write the rows' new counts with one prepared UPDATE run for every row.

    Not bulk_update: it builds a CASE WHEN per row and field in Python, which took seconds per chunk
    of 5,000 events, all of it inside the transaction that holds SQLite's write lock.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    params = [[column.get_db_prep_save(getattr(row, column.attname), connection) for column in columns] + [row.pk]
              for row in rows]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _raw_since(workspace: Workspace, today: dt.date | None = None) -> dt.date:
    """The first day whose rollups raw events can reproduce: the retention cutoff or, later, the
    first raw event's day. Rollups before it (expired raw events, imported daily history) are kept."""
    since = retention_cutoff(workspace, today)
    first = UsageEvent.objects.filter(workspace=workspace).aggregate(first=Min("timestamp"))["first"]
    if first is not None:
        since = max(since, local_day(first, workspace.time_zone))
    return since


def _delete_rollups(workspace: Workspace, since: dt.date, account_ids: Iterable[int] | None = None) -> None:
    for model in (DailyAccountUsage, DailyUserUsage, DailyFeatureUsage):
        rows = model.objects.filter(workspace=workspace, day__gte=since)
        if account_ids is not None:
            rows = rows.filter(account_id__in=list(account_ids))
        rows.delete()


def _lock_state(workspace: Workspace) -> RollupState:
    RollupState.objects.get_or_create(workspace=workspace)
    # One fold per workspace at a time: concurrent runs queue here (on SQLite the write lock
    # taken at BEGIN IMMEDIATE serialises them already).
    return RollupState.objects.select_for_update().get(workspace=workspace)


def rollups_add(*, workspace: Workspace, fold: Fold) -> int:
    """Add a fold of events that are not kept as raw events to the rollups; returns the events added.

    For usage older than the raw events (a warehouse's export of past days, a generated history):
    the caller folds each event with `Fold.add`, and the rows written are the ones `rollups_fold`
    would have written had the events been stored, per account, per account-user and per
    account-feature. The watermark does not move, and a rebuild keeps these days (they are before
    the first raw event). One transaction under the workspace's fold lock.
    """
    with transaction.atomic():
        _lock_state(workspace)
        _apply(workspace, fold)
    return fold.folded


def events_expire(*, workspace: Workspace, today: dt.date | None = None, chunk: int = 10_000) -> int:
    """Delete raw events before the retention cutoff, whole days at a time, once they are folded.

    Deletes in chunks, each its own transaction, so ingest is never blocked for long.
    """
    cutoff = start_of_day(retention_cutoff(workspace, today), workspace.time_zone)
    watermark = RollupState.objects.filter(workspace=workspace).values_list("last_event_id", flat=True).first() or 0
    deleted = 0
    while True:
        ids = list(
            UsageEvent.objects.filter(workspace=workspace, timestamp__lt=cutoff, id__lte=watermark).values_list(
                "id", flat=True
            )[:chunk]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += UsageEvent.objects.filter(id__in=ids).delete()[0]


def rollups_fold(*, workspace: Workspace, chunk: int = CHUNK, progress: FoldProgress | None = None) -> FoldResult:
    """Fold new events (and recompute late-attributed accounts); safe to run at any time, any number of times.

    Commits in short transactions, `chunk` events (or DIRTY_CHUNK recomputed accounts) each, so a
    fold of a long history import never holds SQLite's one write lock for long: a web request's
    write waits for one chunk at most, not for the whole history. Each chunk moves the watermark
    with its rows, so a fold stopped part-way (a crash, a kill) has folded exactly the chunks it
    committed and the next run goes on from there. `progress(done, total)` counts fresh events.
    """
    RollupState.objects.get_or_create(workspace=workspace)
    high = UsageEvent.objects.filter(workspace=workspace).aggregate(high=Max("id"))["high"] or 0
    touched: set[int] = set()
    recomputed = _recompute_dirty(workspace, touched)
    folded = 0
    watermark = RollupState.objects.filter(workspace=workspace).values_list("last_event_id", flat=True).get()
    total = _events_between(workspace, watermark, high).count() if progress else 0
    done = 0
    while watermark < high:
        upper = _chunk_end(workspace, watermark, high, chunk)
        # Gathered before the write lock is taken: reading needs no lock in WAL mode (nor on
        # PostgreSQL), so the lock is held only while the increments are written.
        events = _events_between(workspace, watermark, upper)
        fold = _gather(workspace, events.filter(account__isnull=False))
        with transaction.atomic():
            state = _lock_state(workspace)
            if state.last_event_id == watermark:
                _apply(workspace, fold)
                state.last_event_id = upper
                state.save(update_fields=["last_event_id", "updated_at"])
                folded += fold.folded
                touched |= {account_id for account_id, _ in fold.accounts}
        if state.last_event_id == upper and progress:
            done += events.count()
            progress(done, total)
        # Compare and set: a fold that ran meanwhile moved the watermark; go on from where it left it.
        watermark = state.last_event_id
    return FoldResult(
        events_folded=folded,
        accounts_recomputed=recomputed,
        watermark=max(watermark, high),
        account_ids=tuple(sorted(touched)),
    )


def _events_between(workspace: Workspace, after: int, upto: int) -> QuerySet[UsageEvent]:
    return UsageEvent.objects.filter(workspace=workspace, id__gt=after, id__lte=upto)


def _chunk_end(workspace: Workspace, after: int, high: int, chunk: int) -> int:
    """The id of the `chunk`-th event after `after` (ids are shared by workspaces: not dense), or `high`."""
    ids = _events_between(workspace, after, high).order_by("id").values_list("id", flat=True)
    return ids[chunk - 1 : chunk].first() or high


def _recompute_dirty(workspace: Workspace, touched: set[int]) -> int:
    """Rebuild late-attributed accounts from raw events up to the watermark, DIRTY_CHUNK per transaction.

    Events past the watermark are then folded with everybody's, exactly as if the accounts' rows had
    been right all along. Only the accounts marked when the fold started: marks made meanwhile wait
    for the next run, so a steady stream of late attributions cannot keep one fold going.
    """
    dirty = list(
        RollupDirty.objects.filter(workspace=workspace).order_by("account_id").values_list("account_id", flat=True)
    )
    for start in range(0, len(dirty), DIRTY_CHUNK):
        accounts = dirty[start : start + DIRTY_CHUNK]
        with transaction.atomic():
            state = _lock_state(workspace)
            since = _raw_since(workspace)
            _delete_rollups(workspace, since, accounts)
            refold = UsageEvent.objects.filter(
                account_id__in=accounts,
                id__lte=state.last_event_id,
                timestamp__gte=start_of_day(since, workspace.time_zone),
            )
            _apply(workspace, _gather(workspace, refold))
            RollupDirty.objects.filter(workspace=workspace, account_id__in=accounts).delete()
        touched.update(accounts)
    return len(dirty)


def retention_cutoff(workspace: Workspace, today: dt.date | None = None) -> dt.date:
    """The first calendar day whose raw events are all kept; rollups before it are kept for good."""
    today = today or today_in(workspace.time_zone)
    return today - dt.timedelta(days=settings.EVENT_RETENTION_DAYS)


@transaction.atomic
def rollups_rebuild(*, workspace: Workspace, today: dt.date | None = None) -> FoldResult:
    """Throw away the rollups of the days raw events still cover and fold those events again.

    Days before the retention cutoff have no raw events left, and days before the first raw event
    may hold imported daily history; their rollups are kept as they are.
    """
    state = _lock_state(workspace)
    high = UsageEvent.objects.filter(workspace=workspace).aggregate(high=Max("id"))["high"] or 0
    since = _raw_since(workspace, today)
    _delete_rollups(workspace, since)
    kept = UsageEvent.objects.filter(
        workspace=workspace,
        account__isnull=False,
        id__lte=high,
        timestamp__gte=start_of_day(since, workspace.time_zone),
    )
    fold = _gather(workspace, kept)
    _apply(workspace, fold)
    RollupDirty.objects.filter(workspace=workspace).delete()
    state.last_event_id = high
    state.save(update_fields=["last_event_id", "updated_at"])
    return FoldResult(events_folded=fold.folded, accounts_recomputed=0, watermark=high)
