"""Demo step: every account on its journey, barriers in the way, and success plans.

Every account walks the default template for its tier from the day it became a customer. Data
milestones are completed by the real `journeys_advance` over the rollups the usage steps wrote,
replayed every two weeks of the history and then run for today (so window criteria such as a month of stats
complete in the week they held, not all today). Checklist milestones are ticked from the account's
hidden engagement: engaged accounts on time, disengaged ones late or not at all. Milestones due
before the usage history begins (or within its first two weeks) cannot be read from data, so they
too are drawn from engagement. What is behind or stuck often has a barrier, said the same way across
accounts so it can be counted; some milestones done late had one, now resolved.

Strategic and enterprise accounts get success plans: a vision, goals with objectives and key success
metrics (some bound to usage measures, filled by the real `metrics_refresh`) and commitments on both
sides. Each carries the year's lead goal and new-sales goal (from the account's size and an ambition
of its own), which the critical path's measured Achievement reads; the usage steps generate the
leads and the sales (`Lead Converted`), so who reached it, who is on the way and who is behind comes
from the evaluation, as anywhere else. Every account that started in the last 90 days gets its 30/60/90-day plan from
`onboarding_plan_generate`, as a new customer does when its journey starts.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from retain.accounts import timeline
from retain.accounts.choices import ContactRole, Tier
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.demo.generator.activity import CONVERSION_RATE, LEADS_RECUR_AFTER_DAYS, expected_daily_leads
from retain.demo.generator.context import DemoContext
from retain.demo.generator.world import AccountPlan
from retain.journeys.choices import BarrierKind, BarrierState, MilestoneKind, MilestoneStatus
from retain.journeys.evaluation import reads_a_goal, reads_a_window, status_of
from retain.journeys.models import Barrier, Journey, MilestoneProgress
from retain.journeys.services import (
    journeys_advance,
    milestones_record_completed,
    template_for,
    templates_install_defaults,
)
from retain.plans.choices import CommitmentStatus, PlanStatus
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SuccessMetric, SuccessPlan
from retain.plans.services import metrics_refresh, onboarding_plan_generate
from retain.tenancy.models import Member
from retain.usage.models import DailyAccountUsage
from retain.usage.vocabulary import LEAD_CONVERTED, LEAD_CREATED

BATCH = 1000
# Usage before this many days into the history is incomplete: those milestones come from engagement.
HISTORY_MARGIN_DAYS = 14
# The replay of the nightly evaluation: every two weeks, for a milestone reading a window from two
# weeks before it is due until twelve weeks after (later than that it completes on today's run).
EVALUATE_EVERY_DAYS = 14
EVALUATE_WEEKS = 12
ONBOARDING_DAYS = 90
BARRIER_SHARE = 0.5  # of behind and stuck milestones
RESOLVED_BARRIER_SHARE = 0.25  # of milestones done late

# What stands in the way of each milestone, said the same way across accounts (customer, ours).
BARRIERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "technical-setup": (
        ("Blog migration is slow", "CRM integration blocked by customer IT", "Tracking code not on all pages"),
        ("CRM connector bug", "Blog import fails on custom templates"),
    ),
    "oriented": (
        ("Admins not available for training", "Goals not agreed internally"),
        ("Kick-off call not scheduled",),
    ),
    "active": (
        ("No internal owner for workflows", "Not enough content to publish", "Lead forms not on the website"),
        ("Workflow templates missing for their industry",),
    ),
    "progress": (
        ("Leads flat since the first month", "Progress review keeps being postponed"),
        ("No CSM capacity for the review",),
    ),
    "initial-value": (
        ("Attribution needs CRM data they do not share", "Too few visitors for a month of stats"),
        ("Attribution report shows the wrong sources",),
    ),
    "full-speed": (
        ("No one to write the first campaign", "Social accounts not connected"),
        ("Lead nurture set-up waits for our services team",),
    ),
    "achievement": (
        ("Missed quarterly lead goal", "Leads do not turn into sales"),
        ("Goal review not prepared",),
    ),
    "renewal": (("Budget under review",), ("Renewal quote not sent",)),
}

VISIONS = (
    "Marketing becomes the team sales relies on for pipeline.",
    "Every campaign is measured from first touch to closed deal.",
    "Half of new business starts on our website.",
    "One platform for the whole marketing team instead of five tools.",
    "The blog becomes our main source of qualified leads.",
)

# (goal, [(objective, metric name, unit, measure kind or "", start, target)])
GOALS: tuple[tuple[str, tuple[tuple[str, str, str, str, float, float], ...]], ...] = (
    (
        "Double inbound leads this year",
        (
            ("Leads flowing from the website", "Inbound leads a month", "leads a month", "", 120, 240),
            ("Publish every week", "Key events reached", "events", "key_events", 0, 10),
        ),
    ),
    (
        "Get the whole team working in the platform",
        (
            ("Every seat in use", "Seat utilisation", "share of seats", "seat_utilisation", 0.3, 0.85),
            ("A daily habit", "Active days in the last 30", "days", "active_days", 5, 20),
        ),
    ),
    (
        "Show marketing's contribution to revenue",
        (("Attribution in place", "Closed deals with a known source", "%", "", 10, 80),),
    ),
    (
        "Use more of what we pay for",
        (("Campaigns, nurture and social in use", "Feature breadth", "features", "feature_breadth", 2, 8),),
    ),
)

PIPELINE_GOAL = "Hit this year's lead and new-sales goals"
PIPELINE_UNITS = {"leads": LEAD_CREATED, "sales": LEAD_CONVERTED}
DAYS_OF_LEADS = 365 - LEADS_RECUR_AFTER_DAYS


def _pipeline_objectives(plan: AccountPlan, rng: random.Random) -> tuple[tuple[str, str, str, str, float, float], ...]:
    """The year's lead goal and new-sales goal: what the account's size promises at average engagement,
    times an ambition of its own (some set the bar low, some high), and the sales its leads should bring."""
    leads = max(20, round(expected_daily_leads(plan) * DAYS_OF_LEADS * rng.uniform(0.55, 1.0)))
    sales = max(3, round(leads * CONVERSION_RATE * rng.uniform(0.7, 1.1)))
    return (
        ("Leads from marketing", "Leads this year", "leads", "", 0, leads),
        ("Leads that turn into customers", "New sales this year", "sales", "", 0, sales),
    )


def _leads_and_sales(ctx: DemoContext, plans: list[AccountPlan]) -> dict[tuple[int, str], int]:
    """Leads and sales since each account became a customer, from the daily rollups: {(account id, event): n}."""
    since = {ctx.accounts[plan.external_id].pk: plan.customer_since for plan in plans}
    rows = DailyAccountUsage.objects.filter(
        workspace=ctx.ws, account_id__in=list(since), key_events__has_key=LEAD_CREATED
    ).values_list("account_id", "day", "key_events")
    found: Counter[tuple[int, str]] = Counter()
    for account_id, day, key_events in rows.iterator(chunk_size=5000):
        if since[account_id] <= day <= ctx.today:
            for event in PIPELINE_UNITS.values():
                found[(account_id, event)] += int((key_events or {}).get(event, 0))
    return dict(found)


COMMITMENTS = (
    ("customer", "Share the CRM data attribution needs"),
    ("customer", "Name an owner for the workflows"),
    ("customer", "Bring the sales lead to the quarterly business review"),
    ("customer", "Agree the success metrics with the sponsor"),
    ("us", "Quarterly business review"),
    ("us", "Workflow workshop for the marketing team"),
    ("us", "Monthly adoption report"),
    ("us", "Attribution set-up session"),
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _at(ctx: DemoContext, day: dt.date, hour: int) -> dt.datetime:
    return ctx.at(day, hour)


class _People:
    """Who owns what on an account: its CSM, and its champion (else admin) contact today."""

    def __init__(self, ctx: DemoContext) -> None:
        self.members: dict[int, Member] = {m.pk: m for group in ctx.members.values() for m in group}
        self.ctx = ctx

    def owner(self, account: Account) -> Member | None:
        return self.members.get(account.owner_id) if account.owner_id else None

    def contact(self, plan: AccountPlan) -> Contact | None:
        today = self.ctx.today
        for role in (ContactRole.CHAMPION, ContactRole.ADMIN):
            for person in plan.people:
                gone = person.left_on is not None and person.left_on <= today
                if person.is_contact and person.role == role and not gone and person.key in self.ctx.contacts:
                    return self.ctx.contacts[person.key]
        return None


# Milestones ---------------------------------------------------------------------------------------


def _outcome(
    plan: AccountPlan, milestone: dict[str, Any], due_on: dt.date, rng: random.Random, *, allow_never: bool
) -> dt.date | None:
    """The day the account gets a milestone done (maybe after today), or None if it never does."""
    if milestone["key"] == "renewal":
        # The first renewal: signed when the account was still a customer a year in.
        return due_on - dt.timedelta(days=rng.randint(0, 14)) if plan.is_customer_on(due_on) else None
    engagement = plan.latent_on(due_on) + rng.gauss(0, 0.5)
    if rng.random() < _sigmoid(1.8 + 1.6 * engagement):
        done = due_on - dt.timedelta(days=rng.randint(0, 6))
    elif allow_never and rng.random() < _sigmoid(-0.8 - 1.5 * engagement):
        return None
    else:
        done = due_on + dt.timedelta(days=rng.randint(4, 45))
    done = max(done, plan.customer_since + dt.timedelta(days=1))
    if plan.churned_on is not None and done >= plan.churned_on:
        return None
    return done


def _tick(
    progress: MilestoneProgress,
    milestone: dict[str, Any],
    done: dt.date | None,
    owner_id: int | None,
    today: dt.date,
    rng: random.Random,
) -> None:
    """Checklist ticks spread over the ten days before completion, up to today."""
    items: list[str] = milestone["items"]
    if done is None:
        # Never finished: the first item was ticked around the due day, if the work started at all.
        first = progress.due_on - dt.timedelta(days=3)
        if len(items) > 1 and first <= today and rng.random() < 0.5:
            progress.ticks = {items[0]: {"on": first.isoformat(), "by": owner_id}}
            progress.last_progress_on = first
        return
    began = done - dt.timedelta(days=10)
    for index, item in enumerate(items):
        day = began + dt.timedelta(days=round(10 * (index + 1) / len(items)))
        if day <= today:
            progress.ticks[item] = {"on": day.isoformat(), "by": owner_id}
            progress.last_progress_on = day
    if done <= today:
        progress.completed_on = done
        progress.evidence = {"summary": "; ".join(f"{t} ticked on {progress.ticks[t]['on']}" for t in items)}


def _journeys(ctx: DemoContext) -> tuple[list[Journey], list[MilestoneProgress]]:
    templates = templates_install_defaults(workspace=ctx.ws)
    pairs = [(plan, ctx.accounts[plan.external_id]) for plan in ctx.world.accounts]
    journeys = []
    for plan, account in pairs:
        template = template_for(account, templates)
        assert template is not None, "the community path applies to every account"
        journeys.append(Journey(workspace=ctx.ws, account=account, template=template, started_on=plan.customer_since))
    Journey.objects.bulk_create(journeys, batch_size=BATCH)
    history_from = ctx.world.window_start + dt.timedelta(days=HISTORY_MARGIN_DAYS)
    rows: list[MilestoneProgress] = []
    for (plan, account), journey in zip(pairs, journeys, strict=True):
        rng = ctx.rng("journeys", plan.external_id)
        for index, milestone in enumerate(journey.template.milestones):
            progress = MilestoneProgress(
                workspace=ctx.ws,
                journey=journey,
                account=account,
                key=milestone["key"],
                name=milestone["name"],
                order=index,
                due_on=journey.started_on + dt.timedelta(weeks=milestone["target_week"]),
                ticks={},
                evidence={},
            )
            # Leads and sales to date need the whole journey on record: one that started before the
            # usage history cannot be measured against its goals, so it is drawn as the early ones are.
            before_history = progress.due_on < history_from or (
                milestone["kind"] == MilestoneKind.DATA
                and reads_a_goal(milestone["criteria"])
                and journey.started_on < ctx.world.window_start
            )
            if milestone["kind"] == MilestoneKind.RENEWAL:
                # The renewals step writes closed renewals as rows, not through renewal_close: the
                # first renewal completes the milestone as renewal_close would (a churn closes the
                # journey at the end of this step).
                done = _outcome(plan, milestone, progress.due_on, rng, allow_never=True)
                if done is not None and done <= ctx.today:
                    progress.completed_on = progress.last_progress_on = done
                    progress.evidence = {"summary": f"Renewed on {done.isoformat()}", "outcome": "renewed"}
            elif milestone["kind"] == MilestoneKind.CHECKLIST:
                done = _outcome(plan, milestone, progress.due_on, rng, allow_never=not before_history)
                _tick(progress, milestone, done, account.owner_id, ctx.today, rng)
            elif before_history:
                done = _outcome(plan, milestone, progress.due_on, rng, allow_never=False)
                if done is not None and done <= ctx.today:
                    progress.completed_on = progress.last_progress_on = done
                    progress.evidence = {"summary": f"Reached on {done.isoformat()}, before the usage on record"}
            progress.status = status_of(progress, ctx.today)
            rows.append(progress)
    MilestoneProgress.objects.bulk_create(rows, batch_size=BATCH)
    done_rows = [p for p in rows if p.completed_on is not None]
    keys = {journey.pk: journey.template.key for journey in journeys}
    for progress in done_rows:
        progress.account.workspace = ctx.ws
    milestones_record_completed(progresses=done_rows, template_keys=keys, today=ctx.today)
    return journeys, rows


def _evaluate(ctx: DemoContext, journeys: list[Journey], rows: list[MilestoneProgress]) -> tuple[int, int]:
    """The nightly evaluation, replayed every two weeks over the history, then for every journey today.

    A milestone whose criteria read a window (a month of stats, leads in the last 14 days) completes
    on the day it is evaluated, so the replay covers the accounts with such a milestone open, from two
    weeks before it is due until EVALUATE_WEEKS after (its day is at most two weeks late). Milestones
    that read when key events were first seen get their day from the rollups whenever they are
    evaluated, and Achievement (leads and sales to date against the success plan's goals) is dated on
    the day the goals' share was reached, so today's run is enough for both; the plans with those goals
    are written before the evaluation.
    """
    windowed = {
        (journey.template_id, m["key"])
        for journey in journeys
        for m in journey.template.milestones
        if m["kind"] == MilestoneKind.DATA and reads_a_window(m["criteria"])
    }
    template_of = {journey.pk: journey.template_id for journey in journeys}
    open_rows = {
        p.pk: (p.account_id, p.due_on)
        for p in rows
        if p.completed_on is None and (template_of[p.journey_id], p.key) in windowed
    }
    completed = moved = 0
    day = ctx.world.window_start + dt.timedelta(days=HISTORY_MARGIN_DAYS)
    while day < ctx.today and open_rows:
        live = sorted(
            {
                account_id
                for account_id, due_on in open_rows.values()
                if -14 <= (day - due_on).days <= 7 * EVALUATE_WEEKS
            }
        )
        if live:
            result = journeys_advance(workspace=ctx.ws, account_ids=live, today=day)
            completed, moved = completed + result.completed, moved + result.moved_to_adoption
            if result.completed:
                done = MilestoneProgress.objects.filter(
                    pk__in=list(open_rows), completed_on__isnull=False, account_id__in=live
                ).values_list("pk", flat=True)
                for pk in done:
                    open_rows.pop(pk, None)
        day += dt.timedelta(days=EVALUATE_EVERY_DAYS)
    result = journeys_advance(workspace=ctx.ws, today=ctx.today)
    return completed + result.completed, moved + result.moved_to_adoption


def _barriers(ctx: DemoContext, people: _People) -> int:
    plans = {plan.external_id: plan for plan in ctx.world.accounts}
    accounts = {account.pk: account for account in ctx.accounts.values()}
    rows = MilestoneProgress.objects.filter(
        workspace=ctx.ws,
        status__in=[MilestoneStatus.BEHIND, MilestoneStatus.STUCK, MilestoneStatus.DONE_LATE],
    ).order_by("id")
    barriers: list[Barrier] = []
    for progress in rows:
        account = accounts[progress.account_id]
        plan = plans[account.external_id]
        rng = ctx.rng("journeys", "barrier", account.external_id, progress.key)
        late = progress.status == MilestoneStatus.DONE_LATE
        if rng.random() >= (RESOLVED_BARRIER_SHARE if late else BARRIER_SHARE):
            continue
        theirs, ours = BARRIERS.get(progress.key, BARRIERS["active"])
        contact = people.contact(plan)
        owner = people.owner(account)
        customer = rng.random() < 0.65 and contact is not None
        if not customer and owner is None:
            continue
        opened = min(progress.due_on + dt.timedelta(days=rng.randint(0, 10)), ctx.today)
        if late:
            assert progress.completed_on is not None
            opened = min(opened, progress.completed_on)
        if plan.churned_on is not None and opened >= plan.churned_on:
            continue
        progress.account = account
        barriers.append(
            Barrier(
                workspace=ctx.ws,
                account=account,
                progress=progress,
                kind=BarrierKind.CUSTOMER_CHALLENGE if customer else BarrierKind.OUR_ISSUE,
                title=rng.choice(theirs if customer else ours),
                owner=None if customer else owner,
                owner_contact=contact if customer else None,
                state=BarrierState.RESOLVED if late else BarrierState.OPEN,
                opened_on=opened,
                resolved_on=progress.completed_on if late else None,
            )
        )
    Barrier.objects.bulk_create(barriers, batch_size=BATCH)
    entries: list[TimelineEntry] = []
    for barrier in barriers:
        entry = timeline.barrier_opened_entry(barrier, actor=barrier.owner, via="demo")
        entry.occurred_at = _at(ctx, barrier.opened_on, 11)
        entries.append(entry)
    TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(barriers)


# Success plans ------------------------------------------------------------------------------------


def _commitment_status(plan: AccountPlan, due_on: dt.date, today: dt.date, rng: random.Random) -> str:
    if due_on >= today:
        return CommitmentStatus.OPEN
    return (
        CommitmentStatus.DONE
        if rng.random() < _sigmoid(1.2 + 1.8 * plan.latent_on(due_on))
        else CommitmentStatus.MISSED
    )


def _plans(ctx: DemoContext, people: _People) -> tuple[int, int]:
    chosen = [plan for plan in ctx.world.accounts if plan.tier in (Tier.STRATEGIC, Tier.ENTERPRISE)]
    plans = [
        SuccessPlan(
            workspace=ctx.ws,
            account=ctx.accounts[plan.external_id],
            vision=ctx.rng("journeys", "vision", plan.external_id).choice(VISIONS),
            status=PlanStatus.CLOSED if plan.churned_on is not None else PlanStatus.ACTIVE,
        )
        for plan in chosen
    ]
    SuccessPlan.objects.bulk_create(plans, batch_size=BATCH)
    goals: list[Goal] = []
    picked: list[tuple[AccountPlan, Goal, tuple[tuple[str, str, str, str, float, float], ...]]] = []
    commitments: list[Commitment] = []
    for plan, success_plan in zip(chosen, plans, strict=True):
        rng = ctx.rng("journeys", "plan", plan.external_id)
        count = rng.randint(2, 3) if plan.tier == Tier.STRATEGIC else rng.randint(1, 2)
        for position, (title, objective_specs) in enumerate(rng.sample(GOALS, count)):
            goal = Goal(plan=success_plan, title=title, position=position)
            goals.append(goal)
            picked.append((plan, goal, objective_specs))
        account = ctx.accounts[plan.external_id]
        owner, contact = people.owner(account), people.contact(plan)
        for side, text in rng.sample(COMMITMENTS, rng.randint(3, 5)):
            # Within the last and the next three months, and not before the plan could exist.
            due_on = max(
                ctx.today + dt.timedelta(days=rng.randint(-90, 90)), plan.customer_since + dt.timedelta(days=7)
            )
            if side == "customer" and contact is not None:
                owners: dict[str, Any] = {"owner_contact": contact}
            elif owner is not None:
                owners = {"owner_member": owner}
            else:
                continue
            status = _commitment_status(plan, due_on, ctx.today, rng)
            commitments.append(Commitment(plan=success_plan, description=text, due_on=due_on, status=status, **owners))
        # Every critical-path plan carries the year's lead and new-sales goals Achievement is measured
        # against (seed 002), set at kick-off from the account's size and an ambition of its own.
        goal = Goal(plan=success_plan, title=PIPELINE_GOAL, position=count)
        goals.append(goal)
        picked.append((plan, goal, _pipeline_objectives(plan, ctx.rng("journeys", "pipeline", plan.external_id))))
    Goal.objects.bulk_create(goals, batch_size=BATCH)
    objectives: list[Objective] = []
    specs: list[tuple[AccountPlan, Objective, tuple[str, str, str, str, float, float]]] = []
    for plan, goal, objective_specs in picked:
        for position, spec in enumerate(objective_specs):
            objective = Objective(goal=goal, title=spec[0], position=position)
            objectives.append(objective)
            specs.append((plan, objective, spec))
    Objective.objects.bulk_create(objectives, batch_size=BATCH)
    metrics = []
    counted = _leads_and_sales(ctx, chosen)
    for plan, objective, (_, name, unit, kind, start, target) in specs:
        rng = ctx.rng("journeys", "metric", plan.external_id, name)
        # A typed-in metric moves from its start towards its target as far as the account engages; the
        # pipeline metrics are typed in from the product's own report of leads and sales this year.
        reached = _sigmoid(1.5 * plan.latent_on(ctx.today) + rng.gauss(0, 0.4))
        current = start + (target - start) * reached
        if unit in PIPELINE_UNITS:
            current = counted.get((ctx.accounts[plan.external_id].pk, PIPELINE_UNITS[unit]), 0)
        metrics.append(
            SuccessMetric(
                objective=objective,
                name=name,
                unit=unit,
                start_value=Decimal(str(start)),
                current_value=Decimal(str(round(current if not kind else start, 2))),
                target_value=Decimal(str(target)),
                measure_kind=kind,
            )
        )
    SuccessMetric.objects.bulk_create(metrics, batch_size=BATCH)
    Commitment.objects.bulk_create(commitments, batch_size=BATCH)
    PlanEvent.objects.bulk_create([PlanEvent(plan=p, summary="Plan started") for p in plans], batch_size=BATCH)
    return len(plans), len(metrics)


def _onboarding_plans(ctx: DemoContext) -> int:
    """New customers' 30/60/90-day plans, with the past steps done or missed as engagement says."""
    recent = [
        plan
        for plan in ctx.world.accounts
        if 0 <= (ctx.today - plan.customer_since).days < ONBOARDING_DAYS and plan.churned_on is None
    ]
    written = 0
    for plan in recent:
        account = ctx.accounts[plan.external_id]
        account.workspace = ctx.ws
        written += onboarding_plan_generate(account=account, actor=None)
    by_account = {ctx.accounts[plan.external_id].pk: plan for plan in recent}
    past = list(
        Commitment.objects.filter(
            plan__account_id__in=list(by_account), due_on__lt=ctx.today, status=CommitmentStatus.OPEN
        ).select_related("plan")
    )
    for commitment in past:
        plan = by_account[commitment.plan.account_id]
        rng = ctx.rng("journeys", "onboarding", plan.external_id, commitment.description)
        commitment.status = _commitment_status(plan, commitment.due_on, ctx.today, rng)
    Commitment.objects.bulk_update(past, ["status"], batch_size=BATCH)
    return written


def _close_churned(ctx: DemoContext, journeys: list[Journey]) -> int:
    """The journeys of accounts that churned end on their churn day, as journey_close ends them: what
    was not reached by then is closed, never behind or stuck."""
    churned = {plan.external_id: plan.churned_on for plan in ctx.world.accounts if plan.churned_on is not None}
    closing = [j for j in journeys if j.account.external_id in churned and churned[j.account.external_id] <= ctx.today]
    for journey in closing:
        journey.closed_on = churned[journey.account.external_id]
        journey.closed_reason = f"Churned on {journey.closed_on.isoformat()}"
    Journey.objects.bulk_update(closing, ["closed_on", "closed_reason"], batch_size=BATCH)
    ids = [journey.pk for journey in closing]
    for start in range(0, len(ids), BATCH):
        MilestoneProgress.objects.filter(journey_id__in=ids[start : start + BATCH], completed_on__isnull=True).update(
            status=MilestoneStatus.CLOSED
        )
    return len(closing)


def build_journeys(ctx: DemoContext) -> str:
    people = _People(ctx)
    journeys, rows = _journeys(ctx)
    plans, metrics = _plans(ctx, people)
    completed, moved = _evaluate(ctx, journeys, rows)
    closed = _close_churned(ctx, journeys)
    barriers = _barriers(ctx, people)
    onboarding = _onboarding_plans(ctx)
    refreshed = metrics_refresh(workspace=ctx.ws, day=ctx.today)
    statuses = Counter(
        MilestoneProgress.objects.filter(workspace=ctx.ws, due_on__lte=ctx.today).values_list("status", flat=True)
    )
    ctx.counts["journeys"] = len(journeys)
    ctx.counts["barriers"] = barriers
    ctx.counts["success_plans"] = plans
    mix = ", ".join(f"{statuses.get(s, 0)} {s}" for s in MilestoneStatus.values if statuses.get(s))
    return (
        f"{len(journeys)} journeys ({completed} milestones completed from usage, {moved} to adoption, "
        f"{closed} closed by a churn; "
        f"due so far: {mix}), {barriers} barriers, {plans} success plans with {metrics} metrics "
        f"({refreshed} from usage), {onboarding} 30/60/90-day commitments"
    )
