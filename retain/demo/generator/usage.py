"""Product usage for the demo book: daily rollups for the older months, raw events for recent days.

Both come from activity.account_day, so usage follows the same hidden engagement as churn. Raw
events go through the ingest hot path (usage.store.insert_events) and are folded by the real
rollup code (usage.rollups.rollups_fold), so the recent rollups are exactly what production
computes; older days have no raw events (as after retention) and their rollups are written directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from retain.demo.generator.activity import AccountDay, account_day, milestone_schedule
from retain.demo.generator.context import DemoContext
from retain.lib.dates import start_of_day
from retain.usage.events import Event
from retain.usage.models import DailyAccountUsage, UsageUser
from retain.usage.rollups import rollups_fold
from retain.usage.store import insert_events
from retain.usage.vocabulary import LOGIN, TICKET_CREATED, TICKET_ESCALATED, TICKET_SOLVED

CHUNK = 20_000
BATCH = 2000


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days)]


def raw_start(ctx: DemoContext) -> dt.date:
    """The first day with raw events; earlier days exist only as rollups."""
    return ctx.today - dt.timedelta(days=ctx.raw_days)


def build_usage_history(ctx: DemoContext) -> str:
    """Daily account rollups for the year before the raw-event days."""
    workspace = ctx.ws
    end = raw_start(ctx)
    rows: list[DailyAccountUsage] = []
    for plan in ctx.world.accounts:
        start = max(plan.customer_since, ctx.world.window_start)
        rng = ctx.rng("history", plan.index)
        milestones = milestone_schedule(plan, ctx.rng("milestones", plan.index), ctx.today)
        account_id = ctx.accounts[plan.external_id].pk
        for day in _days(start, end):
            activity = account_day(plan, day, rng, milestones)
            if not activity.users:
                continue
            for user in activity.users:
                ctx.saw(user.person.key, day)
            rows.append(
                DailyAccountUsage(
                    workspace=workspace,
                    account_id=account_id,
                    day=day,
                    events=activity.events,
                    active_users=len(activity.users),
                    logins=len(activity.users),
                    tickets_created=activity.tickets_created,
                    tickets_escalated=activity.tickets_escalated,
                    tickets_solved=activity.tickets_solved,
                    key_events=dict(sorted(activity.key_event_counts().items())),
                )
            )
    with transaction.atomic():
        DailyAccountUsage.objects.bulk_create(rows, batch_size=BATCH)
    ctx.counts["history_rollup_rows"] = len(rows)
    return f"{len(rows)} daily account rollups before {end.isoformat()}"


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


def _emit_day(
    emitter: _Emitter, account_id: int, group: dict[str, Any], activity: AccountDay, opens: dt.datetime, rng: Any
) -> None:
    for user in activity.users:
        key = user.person.key
        at = opens + dt.timedelta(hours=rng.randint(7, 17), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        emitter.emit(account_id, group, key, LOGIN, at)
        for feature, name in user.features:
            at += dt.timedelta(seconds=rng.randint(20, 540))
            emitter.emit(account_id, group, key, name, at, feature=feature)
        for name in user.key_events:
            at += dt.timedelta(seconds=rng.randint(20, 540))
            emitter.emit(account_id, group, key, name, at)
    tickets = (
        [TICKET_CREATED] * activity.tickets_created
        + [TICKET_ESCALATED] * activity.tickets_escalated
        + [TICKET_SOLVED] * activity.tickets_solved
    )
    for number, name in enumerate(tickets):
        user = rng.choice(activity.users)
        at = opens + dt.timedelta(hours=9 + number % 10, minutes=rng.randint(0, 59))
        emitter.emit(account_id, group, user.person.key, name, at)


def build_recent_usage(ctx: DemoContext) -> str:
    """Raw events for the last days, then the real fold into daily rollups."""
    workspace = ctx.ws
    emitter = _Emitter(ctx)
    days = _days(raw_start(ctx), ctx.today)
    opens = {day: start_of_day(day, workspace.time_zone) for day in days}
    for plan in ctx.world.accounts:
        rng = ctx.rng("events", plan.index)
        milestones = milestone_schedule(plan, ctx.rng("milestones", plan.index), ctx.today)
        account_id = ctx.accounts[plan.external_id].pk
        group = {"groupId": plan.external_id}
        for day in days:
            activity = account_day(plan, day, rng, milestones)
            if not activity.users:
                continue
            for user in activity.users:
                ctx.saw(user.person.key, day)
            _emit_day(emitter, account_id, group, activity, opens[day], rng)
    emitter.flush()
    ctx.counts["events"] = emitter.inserted
    return f"{emitter.inserted} raw events over {len(days)} days"


def build_rollups(ctx: DemoContext) -> str:
    result = rollups_fold(workspace=ctx.ws)
    return f"{result.events_folded} events folded into daily rollups"


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
