"""Reads of success plans: the tree with its progress roll-up, and resolving a shared link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from retain.accounts.models import Account
from retain.lib.tokens import hash_token
from retain.plans import progress
from retain.plans.choices import CommitmentStatus
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SharedLink, SuccessMetric, SuccessPlan


@dataclass
class MetricRow:
    metric: SuccessMetric
    progress: float


@dataclass
class ObjectiveRow:
    objective: Objective
    metrics: list[MetricRow]
    progress: float | None


@dataclass
class GoalRow:
    goal: Goal
    objectives: list[ObjectiveRow]
    progress: float | None


@dataclass
class PlanView:
    plan: SuccessPlan
    goals: list[GoalRow]
    progress: float | None
    commitments: list[Commitment]
    commitments_done: float | None
    events: list[PlanEvent] = field(default_factory=list)


def plan_for_account(account: Account) -> SuccessPlan | None:
    return SuccessPlan.objects.filter(account=account).first()


def _goals_with_metrics() -> QuerySet[Goal]:
    return Goal.objects.prefetch_related(Prefetch("objectives", queryset=Objective.objects.prefetch_related("metrics")))


def _commitments() -> QuerySet[Commitment]:
    return Commitment.objects.select_related("owner_contact", "owner_member__user")


def plan_view(plan: SuccessPlan, *, with_events: bool = False) -> PlanView:
    """The plan's goals, objectives and metrics with progress at every level (four queries)."""
    goals = list(_goals_with_metrics().filter(plan=plan))
    commitments = list(_commitments().filter(plan=plan))
    events = list(plan.events.select_related("actor__user")[:50]) if with_events else []
    return _assemble(plan, goals, commitments, events)


def plan_views(plans: list[SuccessPlan]) -> list[PlanView]:
    """Many plans with their roll-ups, in the same four queries however many plans (for lists)."""
    prefetch_related_objects(
        plans, Prefetch("goals", queryset=_goals_with_metrics()), Prefetch("commitments", queryset=_commitments())
    )
    return [_assemble(plan, list(plan.goals.all()), list(plan.commitments.all()), []) for plan in plans]


def _assemble(plan: SuccessPlan, goals: list[Goal], commitments: list[Commitment], events: list[PlanEvent]) -> PlanView:
    goal_rows = []
    for goal in goals:
        objective_rows = []
        for objective in goal.objectives.all():
            metric_rows = [
                MetricRow(m, progress.metric_progress(m.start_value, m.current_value, m.target_value))
                for m in objective.metrics.all()
            ]
            objective_rows.append(ObjectiveRow(objective, metric_rows, progress.mean(r.progress for r in metric_rows)))
        goal_rows.append(GoalRow(goal, objective_rows, progress.mean(r.progress for r in objective_rows)))
    return PlanView(
        plan=plan,
        goals=goal_rows,
        progress=progress.mean(r.progress for r in goal_rows),
        commitments=commitments,
        commitments_done=progress.commitments_done_share((c.status for c in commitments), done=CommitmentStatus.DONE),
        events=events,
    )


def account_links(account: Account) -> QuerySet[SharedLink]:
    return SharedLink.objects.filter(account=account).select_related("created_by__user")


def shared_link_resolve(raw: str) -> SharedLink | None:
    """The live link a raw token names, or None when it is unknown, expired or revoked."""
    if not raw or len(raw) > 200:
        return None
    link = (
        SharedLink.objects.select_related("account", "workspace")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return link


def plan_summary(account: Account) -> PlanView | None:
    """The account's plan with its roll-up, for the account page; None when it has none."""
    plan = plan_for_account(account)
    return plan_view(plan) if plan is not None else None


# The first 90 days --------------------------------------------------------------------------------

PERIODS = ((1, 30, "First 30 days"), (31, 60, "Days 31–60"), (61, 90, "Days 61–90"))


@dataclass
class Period:
    label: str
    starts_on: dt.date
    ends_on: dt.date
    customer: list[Commitment]
    ours: list[Commitment]


def first_ninety_days(view: PlanView, starts_on: dt.date) -> tuple[list[Period], list[Commitment]]:
    """The plan's commitments by the 30/60/90-day period they fall due in, split into what the
    customer does and what we do; day 1 is `starts_on` (the customer-since day). Returns the periods
    and the commitments due after day 90 (or before day 1), which the page lists as "later"."""
    periods = [
        Period(label, starts_on + dt.timedelta(days=first - 1), starts_on + dt.timedelta(days=last - 1), [], [])
        for first, last, label in PERIODS
    ]
    later: list[Commitment] = []
    for commitment in view.commitments:
        period = next((p for p in periods if p.starts_on <= commitment.due_on <= p.ends_on), None)
        if period is None:
            later.append(commitment)
        elif commitment.owner_contact_id:
            period.customer.append(commitment)
        else:
            period.ours.append(commitment)
    return periods, later


# A key success metric counted in these units is the plan's lead goal or new-sales goal, the goals a
# measured milestone compares leads and sales to date with (journeys.measured, seed 002 "Achievement").
GOAL_UNITS = {"lead": "leads", "leads": "leads", "sale": "sales", "sales": "sales", "won deals": "sales"}


def measured_goals(*, workspace_id: int, account_ids: list[int] | None) -> dict[int, dict[str, float]]:
    """{account_id: {"leads": target, "sales": target}} from the success plans' key metrics, one query.

    A metric counts when its unit names leads or sales (GOAL_UNITS); with two such metrics the
    earlier one (by id) is the goal. `account_ids` None reads the whole workspace.
    """
    metrics = SuccessMetric.objects.filter(objective__goal__plan__workspace_id=workspace_id)
    if account_ids is not None:
        metrics = metrics.filter(objective__goal__plan__account_id__in=account_ids)
    rows = metrics.order_by("-id").values_list("objective__goal__plan__account_id", "unit", "target_value")
    found: dict[int, dict[str, float]] = {}
    for account_id, unit, target in rows:
        goal = GOAL_UNITS.get(unit.strip().lower())
        if goal is not None:
            found.setdefault(account_id, {})[goal] = float(target)
    return found
