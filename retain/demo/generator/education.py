"""Education and portfolio targets in the demo (seed 000's operational CSM; seed 002's goals).

- The operational CSM's sessions of the last six months (monthly webinars, training sessions and a
  quarterly bootcamp) arrive as one attendee CSV, imported through team.education.attendees_import.
- Webinar attendance and knowledge-base article views of the raw-event window are sent as product
  events through the ingest store, folded into the rollups, and recorded by
  team.education.learnings_from_events (what the fold hook does for live events).
- The demo manager sets three targets through team.targets.target_set: unhealthy accounts down to
  25% (seed 002: from 34%), NRR 120% (seed 003) and QBR coverage 90%, starting from today's values.

Who attends and reads is drawn from `ctx.rng("education", ...)`, weighted by how engaged the
account is, so the measures differ between accounts the way usage does.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction

from retain.demo.generator.context import DemoContext
from retain.demo.generator.usage import raw_start
from retain.lib.csvsafe import write_csv
from retain.team import education, targets
from retain.team.choices import LearningKind, TargetFigure
from retain.tenancy.choices import CsmKind, Role
from retain.usage.events import Event
from retain.usage.rollups import rollups_fold
from retain.usage.store import insert_events

SESSION_MONTHS = 6
WEBINARS = (
    "What's new this quarter",
    "Lead scoring in practice",
    "Attribution reports for the board",
    "Nurture programmes that convert",
    "Blog SEO clinic",
    "Campaign calendar planning",
)
TRAININGS = ("Reporting 101", "Workflows from scratch", "CRM sync set-up", "Email design basics")
BOOTCAMP = "Marketing automation bootcamp"
ARTICLES = (
    "Install the tracking code",
    "Connect your CRM",
    "Build your first workflow",
    "Import contacts from a spreadsheet",
    "Set up a lead-scoring model",
    "Read the attribution report",
    "Migrate a blog",
    "Troubleshoot e-mail deliverability",
)
TARGETS = (
    (TargetFigure.UNHEALTHY_SHARE, "25", 180, "Seed 002: unhealthy accounts from 34% to 25%"),
    (TargetFigure.NRR, "120", 365, "Seed 003: a $1M book ends the year at $1.2M"),
    (TargetFigure.QBR_COVERAGE, "90", 120, "Every strategic and enterprise customer reviewed each quarter"),
)


def _engagement(plan_latent: float) -> float:
    """A 0–1 chance of taking part, from the account's hidden engagement (logistic)."""
    return 1 / (1 + math.exp(-plan_latent))


def _sessions(ctx: DemoContext) -> list[tuple[str, str, dt.date]]:
    """(kind, name, day) of the operational CSM's sessions of the last six months, oldest first."""
    sessions = []
    for month in range(SESSION_MONTHS, 0, -1):
        day = ctx.today - dt.timedelta(days=30 * month)
        sessions.append((LearningKind.WEBINAR, WEBINARS[month % len(WEBINARS)], day))
        sessions.append((LearningKind.TRAINING, TRAININGS[month % len(TRAININGS)], day + dt.timedelta(days=9)))
        if month % 3 == 0:
            sessions.append((LearningKind.BOOTCAMP, BOOTCAMP, day + dt.timedelta(days=15)))
    return [s for s in sessions if s[2] < ctx.today]


def _attendee_csv(ctx: DemoContext) -> tuple[str, int]:
    lines: list[list[str]] = [list(education.CSV_COLUMNS)]
    sessions = _sessions(ctx)
    for plan in ctx.world.accounts:
        if plan.former:
            continue
        rng = ctx.rng("education", "sessions", plan.index)
        for kind, name, day in sessions:
            if not plan.is_customer_on(day):
                continue
            chance = _engagement(plan.latent_on(day)) * (0.35 if kind == LearningKind.WEBINAR else 0.2)
            if rng.random() >= chance:
                continue
            present = [
                p
                for p in plan.people
                if p.key in ctx.contacts and p.joined_on <= day and (p.left_on is None or p.left_on > day)
            ]
            for person in rng.sample(present, min(len(present), rng.randint(1, 3))):
                lines.append([ctx.contacts[person.key].email, name, kind, day.isoformat()])
    return write_csv(lines), len(lines) - 1


def _events(ctx: DemoContext) -> int:
    """Webinar attendance and article views of the raw window, stored as the product would send them."""
    workspace = ctx.ws
    first = raw_start(ctx)
    chunk: list[Event] = []
    accounts: dict[int, int] = {}
    sequence = 0
    inserted = 0

    def flush() -> None:
        nonlocal chunk, accounts, inserted
        if chunk:
            with transaction.atomic():
                inserted += insert_events(workspace.pk, None, chunk, accounts).inserted
        chunk, accounts = [], {}

    webinar_day = first + dt.timedelta(days=(ctx.today - first).days // 2)
    for plan in ctx.world.accounts:
        if plan.former or not plan.is_customer_on(ctx.today):
            continue
        account = ctx.accounts[plan.external_id]
        rng = ctx.rng("education", "events", plan.index)
        chance = _engagement(plan.latent_on(ctx.today))
        users = [p for p in plan.people if p.key in ctx.seen]
        if not users:
            continue
        calls: list[tuple[str, str, dt.date, dict[str, str]]] = []
        if rng.random() < 0.3 * chance:
            for person in rng.sample(users, min(len(users), rng.randint(1, 2))):
                calls.append(("Webinar Attended", person.key, webinar_day, {"webinar": WEBINARS[0]}))
        for _ in range(rng.randint(0, round(6 * chance))):
            day = first + dt.timedelta(days=rng.randrange(max((ctx.today - first).days, 1)))
            calls.append(("Article Viewed", rng.choice(users).key, day, {"title": rng.choice(ARTICLES)}))
        for name, user, day, props in calls:
            if not plan.is_customer_on(day):
                continue  # nothing before the account began (a new customer's raw window starts later)
            sequence += 1
            at = ctx.at(day, rng.randint(9, 16), rng.randint(0, 59))
            accounts[len(chunk)] = account.pk
            chunk.append(
                Event(
                    type="track",
                    message_id=f"demo-{ctx.seed}-education-{sequence}",
                    user_id=user,
                    anonymous_id="",
                    name=name,
                    group_id=plan.external_id,
                    properties=props,
                    traits={},
                    context={"groupId": plan.external_id},
                    timestamp=at,
                    received_at=at + dt.timedelta(seconds=2),
                    index=len(chunk),
                )
            )
            if len(chunk) >= 2000:
                flush()
    flush()
    return inserted


def build_education(ctx: DemoContext) -> str:
    workspace = ctx.ws
    operationals = ctx.csms.get(CsmKind.OPERATIONAL) or []
    operational = operationals[0] if operationals else None
    text, rows = _attendee_csv(ctx)
    imported = education.attendees_import(workspace=workspace, actor=operational, text=text, filename="sessions.csv")
    events = _events(ctx)
    rollups_fold(workspace=workspace)
    from_events = education.learnings_from_events(workspace=workspace, since=raw_start(ctx))
    managers = ctx.members.get(Role.MANAGER) or []
    manager = managers[0] if managers else None
    for figure, goal, days, note in TARGETS:
        targets.target_set(
            workspace=workspace,
            actor=manager,
            figure=figure,
            target_pct=goal,
            due_on=ctx.today + dt.timedelta(days=days),
            today=ctx.today,
            note=note,
        )
    ctx.counts["education_rows"] = imported.created + from_events
    return (
        f"{imported.created} attendances from a {rows}-row attendee CSV, {events} education events "
        f"({from_events} recorded), {len(TARGETS)} portfolio targets"
    )
