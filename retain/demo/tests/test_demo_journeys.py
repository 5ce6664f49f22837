"""The demo's journeys and success plans: every account on its journey in a state that follows from
its usage and engagement, barriers where it is behind or stuck, plans for the accounts that get one."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from retain.accounts.choices import EntryKind, Tier
from retain.accounts.models import Account, TimelineEntry
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.journeys.choices import BarrierState, MilestoneStatus
from retain.journeys.models import Barrier, Journey, MilestoneProgress
from retain.plans import onboarding
from retain.plans.models import Commitment, Goal, SuccessMetric, SuccessPlan
from retain.plans.selectors import measured_goals
from retain.usage.models import DailyAccountUsage

TODAY = dt.date(2026, 11, 20)
NEEDED = {
    "team",
    "accounts and subscriptions",
    "usage history (rollups)",
    "recent usage (raw events)",
    "rollup fold",
    "journeys and success plans",
}
LINES: list[str] = []

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_demo_journeys")]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(
            seed=5, size=200, raw_days=30, today=TODAY, steps=[s for s in STEPS if s.name in NEEDED], say=LINES.append
        )
        yield ctx
        demo_delete()


def test_every_account_is_on_the_journey_for_its_tier(demo: DemoContext) -> None:
    accounts = Account.objects.filter(workspace=demo.ws)
    assert Journey.objects.filter(workspace=demo.ws).count() == accounts.count() == len(demo.world.accounts)
    for journey in Journey.objects.filter(workspace=demo.ws).select_related("account", "template"):
        assert journey.started_on == journey.account.customer_since
        expected = "community-path" if journey.account.tier == Tier.COMMUNITY else "critical-path"
        assert journey.template.key == expected


def _due(demo: DemoContext) -> list[MilestoneProgress]:
    return list(MilestoneProgress.objects.filter(workspace=demo.ws, due_on__lte=TODAY))


def test_most_journeys_are_on_track_and_some_are_behind_or_stuck(demo: DemoContext) -> None:
    statuses = Counter(p.status for p in _due(demo))
    assert statuses[MilestoneStatus.DONE] > statuses[MilestoneStatus.DONE_LATE] > 0
    assert statuses[MilestoneStatus.BEHIND] + statuses[MilestoneStatus.STUCK] > 0
    live = {a.external_id: a for a in demo.world.accounts if a.churned_on is None}
    troubled: set[int] = set(
        MilestoneProgress.objects.filter(
            workspace=demo.ws, status__in=[MilestoneStatus.BEHIND, MilestoneStatus.STUCK]
        ).values_list("account_id", flat=True)
    )
    customers = [demo.accounts[key].pk for key in live]
    share_troubled = len(troubled & set(customers)) / len(customers)
    assert 0.03 < share_troubled < 0.4, share_troubled


def test_data_milestones_follow_the_usage_and_checklists_the_engagement(demo: DemoContext) -> None:
    plans = {demo.accounts[a.external_id].pk: a for a in demo.world.accounts}
    from_usage = MilestoneProgress.objects.filter(workspace=demo.ws, evidence__has_key="events")
    assert from_usage.exists()
    for progress in from_usage[:50]:
        for name, day in progress.evidence["events"].items():
            assert DailyAccountUsage.objects.filter(
                account_id=progress.account_id, day=dt.date.fromisoformat(day), key_events__has_key=name
            ).exists(), (progress.key, name)
    # Checklist milestones: engaged accounts tick on time, disengaged ones late or not at all.
    on_time: dict[bool, list[bool]] = {True: [], False: []}
    for progress in MilestoneProgress.objects.filter(workspace=demo.ws, key="oriented", due_on__lt=TODAY):
        plan = plans[progress.account_id]
        if plan.churned_on is not None:
            continue
        on_time[plan.latent_on(progress.due_on) > 0].append(progress.status == MilestoneStatus.DONE)
    assert sum(on_time[True]) / len(on_time[True]) > sum(on_time[False]) / len(on_time[False])


def test_every_completed_milestone_is_on_the_timeline_once(demo: DemoContext) -> None:
    done = MilestoneProgress.objects.filter(workspace=demo.ws, completed_on__isnull=False).count()
    entries = TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.MILESTONE_COMPLETED)
    assert entries.count() == done
    assert entries.filter(data__key="initial-value").exists()


def test_barriers_stand_in_the_way_of_behind_and_stuck_milestones(demo: DemoContext) -> None:
    barriers = list(Barrier.objects.filter(workspace=demo.ws).select_related("progress"))
    open_ones = [b for b in barriers if b.state == BarrierState.OPEN]
    assert open_ones and all(b.progress.status in (MilestoneStatus.BEHIND, MilestoneStatus.STUCK) for b in open_ones)
    resolved = [b for b in barriers if b.state == BarrierState.RESOLVED]
    assert all(b.progress.status == MilestoneStatus.DONE_LATE and b.resolved_on for b in resolved)
    assert all((b.owner_id is None) != (b.owner_contact_id is None) for b in barriers)
    assert {b.kind for b in barriers} == {"customer_challenge", "our_issue"}
    # Said the same way across accounts, so they can be counted.
    titles = Counter(b.title for b in barriers)
    assert titles.most_common(1)[0][1] >= 3
    assert TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.BARRIER_OPENED).count() == len(barriers)


def test_strategic_and_enterprise_accounts_have_success_plans(demo: DemoContext) -> None:
    wanted = {demo.accounts[a.external_id].pk for a in demo.world.accounts if a.tier != Tier.COMMUNITY}
    plans = SuccessPlan.objects.filter(workspace=demo.ws, account_id__in=wanted).prefetch_related(
        "goals__objectives__metrics", "commitments"
    )
    assert {p.account_id for p in plans} == wanted
    for plan in plans:
        assert plan.vision
        goals = list(plan.goals.all())
        # One to three of the plan's own, and the year's lead and new-sales goals Achievement reads.
        assert 2 <= len(goals) <= 4
        units = {m.unit for g in goals for o in g.objectives.all() for m in o.metrics.all()}
        assert {"leads", "sales"} <= units
        assert all(goal.objectives.all() and all(o.metrics.all() for o in goal.objectives.all()) for goal in goals)
    bound = SuccessMetric.objects.filter(objective__goal__plan__workspace=demo.ws).exclude(measure_kind="")
    assert bound.exists() and bound.filter(current_as_of=TODAY).count() > bound.count() / 2
    commitments = Commitment.objects.filter(plan__account_id__in=wanted)
    assert commitments.filter(owner_contact__isnull=False).exists()
    assert commitments.filter(owner_member__isnull=False).exists()
    assert {c.status for c in commitments} == {"open", "done", "missed"}


def test_new_customers_have_their_30_60_90_day_plan(demo: DemoContext) -> None:
    new = [
        demo.accounts[a.external_id]
        for a in demo.world.accounts
        if a.churned_on is None and (TODAY - a.customer_since).days < 90
    ]
    assert new
    for account in new:
        texts = set(Commitment.objects.filter(plan__account=account).values_list("description", flat=True))
        assert {item.text for item in onboarding.TEMPLATES[account.tier]} <= texts


def _state(demo: DemoContext) -> list[str]:
    rows = MilestoneProgress.objects.filter(workspace=demo.ws).values_list(
        "account__external_id", "key", "status", "completed_on", "ticks"
    )
    barriers = Barrier.objects.filter(workspace=demo.ws).values_list(
        "account__external_id", "progress__key", "title", "kind", "state", "opened_on"
    )
    plans = Commitment.objects.filter(plan__workspace=demo.ws).values_list(
        "plan__account__external_id", "description", "due_on", "status"
    )
    goals = Goal.objects.filter(plan__workspace=demo.ws).values_list("plan__account__external_id", "title")
    return sorted(str(row) for row in [*rows, *barriers, *plans, *goals])


def test_the_step_is_deterministic(demo: DemoContext) -> None:
    before = _state(demo)
    Journey.objects.filter(workspace=demo.ws).delete()
    SuccessPlan.objects.filter(workspace=demo.ws).delete()
    TimelineEntry.objects.filter(
        workspace=demo.ws, kind__in=[EntryKind.MILESTONE_COMPLETED, EntryKind.BARRIER_OPENED]
    ).delete()
    step = next(s for s in STEPS if s.name == "journeys and success plans")
    step.run(demo)
    assert _state(demo) == before


def test_churned_accounts_journeys_are_closed_and_first_renewals_complete_the_renewal_milestone(
    demo: DemoContext,
) -> None:
    closed = Journey.objects.filter(workspace=demo.ws, closed_on__isnull=False).select_related("account")
    assert closed and all(journey.account.stage == "churned" for journey in closed)
    assert not MilestoneProgress.objects.filter(
        journey__in=closed, status__in=[MilestoneStatus.BEHIND, MilestoneStatus.STUCK]
    ).exists()
    renewed = MilestoneProgress.objects.filter(workspace=demo.ws, key="renewal", completed_on__isnull=False)
    assert renewed and all(p.evidence["outcome"] == "renewed" for p in renewed)


ACHIEVED = ("measures.leads_to_date.goal_pct", "measures.sales_to_date.goal_pct")


def test_achievement_is_reached_by_evaluation_against_the_plans_goals_or_says_why_not(demo: DemoContext) -> None:
    plans = {demo.accounts[a.external_id].pk: a for a in demo.world.accounts}
    goals = measured_goals(workspace_id=demo.ws.pk, account_ids=None)
    rows = list(
        MilestoneProgress.objects.filter(
            workspace=demo.ws, key="achievement", journey__closed_on__isnull=True
        ).select_related("journey")
    )
    measured_from_start = [p for p in rows if p.journey.started_on >= demo.world.window_start]
    assert all(set(goals[p.account_id]) == {"leads", "sales"} for p in rows)

    # Reached: completed by the evaluation, with both numbers against their goals as evidence.
    reached = [p for p in measured_from_start if p.completed_on is not None]
    assert reached, "no account reached Achievement from its usage"
    for progress in reached:
        assert progress.completed_on is not None
        assert set(progress.evidence["measures"]) == set(ACHIEVED)
        assert all(progress.evidence["measures"][attr]["value"] >= 50 for attr in ACHIEVED)
        assert "leads to date" in progress.evidence["summary"] and "new sales to date" in progress.evidence["summary"]
        assert progress.journey.started_on <= progress.completed_on <= TODAY
        plan = plans[progress.account_id]
        assert plan.churned_on is None or progress.completed_on < plan.churned_on
    assert TimelineEntry.objects.filter(
        workspace=demo.ws, kind=EntryKind.MILESTONE_COMPLETED, data__key="achievement",
        account_id__in=[p.account_id for p in reached],
    ).count() == len(reached)  # fmt: skip

    # Not reached: behind (past due) or on the way (not yet due), each reading saying where it stands.
    open_rows = [p for p in measured_from_start if p.completed_on is None]
    behind = [p for p in open_rows if p.due_on < TODAY]
    on_the_way = [p for p in open_rows if p.due_on >= TODAY]
    assert behind and on_the_way, (len(behind), len(on_the_way))
    for progress in open_rows:
        readings = progress.measured["readings"]
        assert set(readings) == set(ACHIEVED)
        assert any(r["value"] is None or r["value"] < 50 for r in readings.values())
        assert all("% of the goal of" in r["words"] or "no data" in r["words"] for r in readings.values())
    assert {p.status for p in behind} <= {MilestoneStatus.BEHIND, MilestoneStatus.STUCK}
    LINES.append(f"achievement: {len(reached)} reached, {len(behind)} behind, {len(on_the_way)} on the way")
