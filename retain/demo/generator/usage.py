"""Product usage for the demo book: raw events for the recent days, folded history before them.

Both come from activity.account_day and the same list of events per day (`day_events`), so usage
follows the same hidden engagement as churn. Recent days are stored as raw events through the ingest
hot path (usage.store.insert_events) and folded by the real `rollups_fold`. Older days are what a
workspace keeps after the raw events expire: their events are folded by the same `Fold.add` and
written by `rollups_add`, so every day of the year has its per-account, per-user and per-feature
rollups exactly as the fold of those events gives, and no measure changes its meaning at the day
the raw events begin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction

from retain.demo.generator.activity import AccountDay, account_day, milestone_schedule
from retain.demo.generator.context import DemoContext
from retain.lib.dates import start_of_day
from retain.usage.events import Event
from retain.usage.models import UsageUser
from retain.usage.rollups import Fold, rollups_add, rollups_fold
from retain.usage.store import insert_events
from retain.usage.vocabulary import LOGIN, TICKET_CREATED, TICKET_ESCALATED, TICKET_SOLVED

CHUNK = 20_000
BATCH = 2000
# History is folded and written this many events at a time (whole accounts), to bound memory.
HISTORY_CHUNK = 200_000


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days)]


def raw_start(ctx: DemoContext) -> dt.date:
    """The first day with raw events; earlier days exist only as rollups."""
    return ctx.today - dt.timedelta(days=ctx.raw_days)


def day_events(
    activity: AccountDay, rng: Any, opens: dt.datetime | None = None
) -> Iterator[tuple[str, str, dt.datetime | None, dict[str, Any]]]:
    """The day's events of one account, (user, event name, time, properties): each active user's login
    and feature and key events, then the tickets. With `opens` (the day's midnight) each gets a time
    between 07:00 and about 21:00; without, no time is drawn (the fold needs only the day)."""
    for user in activity.users:
        key = user.person.key
        at = None
        if opens is not None:
            at = opens + dt.timedelta(hours=rng.randint(7, 17), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        yield key, LOGIN, at, {}
        for feature, name in user.features:
            if at is not None:
                at += dt.timedelta(seconds=rng.randint(20, 540))
            yield key, name, at, {"feature": feature}
        for name in user.key_events:
            if at is not None:
                at += dt.timedelta(seconds=rng.randint(20, 540))
            yield key, name, at, {}
    tickets = (
        [TICKET_CREATED] * activity.tickets_created
        + [TICKET_ESCALATED] * activity.tickets_escalated
        + [TICKET_SOLVED] * activity.tickets_solved
    )
    for number, name in enumerate(tickets):
        user = rng.choice(activity.users)
        at = None
        if opens is not None:
            at = opens + dt.timedelta(hours=9 + number % 10, minutes=rng.randint(0, 59))
        yield user.person.key, name, at, {}


def build_usage_history(ctx: DemoContext) -> str:
    """The year before the raw-event days, folded into daily rollups per account, user and feature."""
    workspace = ctx.ws
    end = raw_start(ctx)
    fold = Fold()
    rows = events = 0
    for plan in ctx.world.accounts:
        start = max(plan.customer_since, ctx.world.window_start)
        rng, sales_rng = ctx.rng("history", plan.index), ctx.rng("sales history", plan.index)
        milestones = milestone_schedule(plan, ctx.rng("milestones", plan.index), ctx.today)
        account_id = ctx.accounts[plan.external_id].pk
        for day in _days(start, end):
            activity = account_day(plan, day, rng, milestones, sales_rng)
            if not activity.users:
                continue
            rows += 1
            for user in activity.users:
                ctx.saw(user.person.key, day)
            for user_id, name, _, properties in day_events(activity, rng):
                fold.add(account_id, user_id, "track", name, properties, day)
        if fold.folded >= HISTORY_CHUNK:
            events += rollups_add(workspace=workspace, fold=fold)
            fold = Fold()
    events += rollups_add(workspace=workspace, fold=fold)
    ctx.counts["history_rollup_rows"] = rows
    ctx.counts["history_events"] = events
    return f"{rows} account days ({events} events) folded into daily rollups before {end.isoformat()}"


class _Emitter:
    """Turns account days into events and stores them in chunks through the ingest hot path."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.workspace_id = ctx.ws.pk
        self.chunk: list[Event] = []
        self.accounts: dict[int, int] = {}
        self.sequence = 0
        self.inserted = 0

    def emit(self, account_id: int, group: dict[str, Any], user: str, name: str, at: dt.datetime, **props: Any) -> None:
        self.sequence += 1
        index = len(self.chunk)
        self.chunk.append(
            Event(
                type="track",
                message_id=f"demo-{self.ctx.seed}-{self.sequence}",
                user_id=user,
                anonymous_id="",
                name=name,
                group_id=group["groupId"],
                properties=props,
                traits={},
                context=group,
                timestamp=at,
                received_at=at + dt.timedelta(seconds=2),
                index=index,
            )
        )
        self.accounts[index] = account_id
        if len(self.chunk) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.chunk:
            return
        with transaction.atomic():
            self.inserted += insert_events(self.workspace_id, None, self.chunk, self.accounts).inserted
        self.chunk, self.accounts = [], {}


def build_recent_usage(ctx: DemoContext) -> str:
    """Raw events for the last days, then the real fold into daily rollups."""
    workspace = ctx.ws
    emitter = _Emitter(ctx)
    days = _days(raw_start(ctx), ctx.today)
    opens = {day: start_of_day(day, workspace.time_zone) for day in days}
    for plan in ctx.world.accounts:
        rng, sales_rng = ctx.rng("events", plan.index), ctx.rng("sales events", plan.index)
        milestones = milestone_schedule(plan, ctx.rng("milestones", plan.index), ctx.today)
        account_id = ctx.accounts[plan.external_id].pk
        group = {"groupId": plan.external_id}
        for day in days:
            activity = account_day(plan, day, rng, milestones, sales_rng)
            if not activity.users:
                continue
            for user in activity.users:
                ctx.saw(user.person.key, day)
            for user_id, name, at, properties in day_events(activity, rng, opens[day]):
                assert at is not None
                emitter.emit(account_id, group, user_id, name, at, **properties)
    emitter.flush()
    ctx.counts["events"] = emitter.inserted
    return f"{emitter.inserted} raw events over {len(days)} days"


# Rows ANALYZE reads per index on SQLite: enough for the planner's row estimates, in a fraction of a second.
ANALYSIS_LIMIT = 1000


def build_rollups(ctx: DemoContext) -> str:
    result = rollups_fold(workspace=ctx.ws)
    analyze_tables()
    return f"{result.events_folded} events folded into daily rollups"


def analyze_tables() -> None:
    """Give the query planner statistics once the history is written, as after any bulk load.

    Without them SQLite cannot tell a one-workspace index from a per-account one: for one account's
    rollups (a business review's pack, a health score's inputs) it read the workspace's million rows
    through the workspace index instead of the account's few hundred. PostgreSQL's autovacuum would
    analyze the new tables in a while; the steps after this one read them at once.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")


def build_usage_users(ctx: DemoContext) -> str:
    """The people the product has seen, linked to their account and, when named, their contact."""
    workspace = ctx.ws
    rows = []
    for plan in ctx.world.accounts:
        account = ctx.accounts[plan.external_id]
        for person in plan.people:
            if person.key not in ctx.seen:
                continue
            first, last = ctx.seen[person.key]
            contact = ctx.contacts.get(person.key)
            rows.append(
                UsageUser(
                    workspace=workspace,
                    user_id=person.key,
                    email=person.email,
                    traits={"firstName": person.first_name, "lastName": person.last_name, "title": person.title},
                    account=account,
                    contact=contact,
                    first_seen_at=start_of_day(first, workspace.time_zone) + dt.timedelta(hours=9),
                    last_seen_at=start_of_day(last, workspace.time_zone) + dt.timedelta(hours=17),
                )
            )
    with transaction.atomic():
        UsageUser.objects.bulk_create(rows, batch_size=BATCH)
    return f"{len(rows)} product users"
