"""Measured milestones: a measure against the account's own baseline or against its plan's goal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from conftest import PASSWORD
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.journeys import measured
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start, journeys_advance, template_publish
from retain.journeys.templates import clean_milestones
from retain.plans import services as plan_services
from retain.tenancy.models import Member
from retain.usage.models import DailyAccountUsage

START = dt.date(2026, 9, 1)
LEADS_UP = {"attr": "measures.leads_28d.growth_pct", "op": "gte", "value": 20}
HALF_THE_LEAD_GOAL = {"attr": "measures.leads_to_date.goal_pct", "op": "gte", "value": 50}

days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2027, 12, 31))
counts = st.dictionaries(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=500), max_size=120)


def _daily(event: str, by_offset: dict[int, int], start: dt.date) -> dict[str, dict[dt.date, int]]:
    return {event: {start + dt.timedelta(days=offset): n for offset, n in by_offset.items() if n}}


# Properties of the comparison -------------------------------------------------------------------------


@given(start=days, offset=st.integers(min_value=0, max_value=400))
def test_no_data_is_not_met_and_says_why(start: dt.date, offset: int) -> None:
    today = start + dt.timedelta(days=offset)
    for name in measured.WINDOW_MEASURES:
        reading = measured.read_growth(name, {}, start, today, None)
        assert reading.value is None
        assert "no " in reading.reason and "data" in reading.reason
    for name in measured.GOAL_MEASURES:
        reading = measured.read_goal(name, {}, start, today, 100.0)
        assert reading.value is None and reading.reason


@given(start=days, later=counts, goal=st.integers(min_value=1, max_value=10_000))
def test_a_baseline_of_zero_leaves_only_the_goal_form(start: dt.date, later: dict[int, int], goal: int) -> None:
    # Nothing in the first 28 days of data is impossible by construction (the period starts on the first
    # day seen), so a kept baseline of zero stands for it: a "rate" whose numerator never moved.
    kept = {"value": 0.0, "from": start.isoformat(), "to": (start + dt.timedelta(days=27)).isoformat()}
    today = start + dt.timedelta(days=200)
    daily = _daily("Lead Created", later, start)
    reading = measured.read_growth("leads_28d", daily, start, today, kept)
    assert reading.value is None
    assert "only a goal can be met" in reading.reason
    by_goal = measured.read_goal("leads_to_date", daily, start, today, float(goal))
    if daily["Lead Created"]:
        assert by_goal.value == pytest.approx(sum(later.values()) / goal * 100)
    else:
        assert by_goal.value is None


@given(start=days, base=st.integers(min_value=1, max_value=50), now=st.integers(min_value=0, max_value=50))
def test_growth_is_the_change_against_the_first_full_period(start: dt.date, base: int, now: int) -> None:
    # `base` leads a day for the first 28 days of data, `now` a day for the 28 days ending today.
    daily = {"Lead Created": {start + dt.timedelta(days=i): base for i in range(28)}}
    today = start + dt.timedelta(days=90)
    for i in range(28):
        if now:
            daily["Lead Created"][today - dt.timedelta(days=i)] = now
    reading = measured.read_growth("leads_28d", daily, start, today, None)
    assert reading.value == pytest.approx((now - base) / base * 100)
    assert reading.detail["baseline"] == {
        "value": 28.0 * base,
        "from": start.isoformat(),
        "to": (start + dt.timedelta(days=27)).isoformat(),
    }


def test_before_the_baseline_period_ends_nothing_is_met() -> None:
    daily = {"Page Viewed": {START + dt.timedelta(days=i): 10 for i in range(20)}}
    reading = measured.read_growth("visitors_28d", daily, START, START + dt.timedelta(days=20), None)
    assert reading.value is None
    assert reading.reason == "the baseline period runs until 2026-09-28"


def test_the_template_validator_knows_the_measured_attributes_and_refuses_others() -> None:
    milestone = {"key": "progress", "name": "Progress", "target_week": 6, "kind": "data", "criteria": LEADS_UP}
    assert clean_milestones([milestone])[0]["criteria"] == LEADS_UP
    wrong = {**milestone, "criteria": {"attr": "measures.leads.growth", "op": "gte", "value": 20}}
    with pytest.raises(ValidationError, match=r"milestones\[0\]\.criteria"):
        clean_milestones([wrong])


# On a real journey -----------------------------------------------------------------------------------


def _leads(account: Account, first: dt.date, last: dt.date, per_day: int) -> None:
    day = first
    while day <= last:
        DailyAccountUsage.objects.update_or_create(
            account=account,
            day=day,
            defaults={"workspace_id": account.workspace_id, "events": per_day, "key_events": {"Lead Created": per_day}},
        )
        day += dt.timedelta(days=1)


@pytest.fixture
def measured_journey(account: Account) -> Account:
    template = template_publish(
        workspace=account.workspace,
        key="measured",
        name="Measured path",
        milestones=[
            {"key": "progress", "name": "Progress", "target_week": 10, "kind": "data", "criteria": LEADS_UP},
            {
                "key": "achievement",
                "name": "Achievement",
                "target_week": 20,
                "kind": "data",
                "criteria": HALF_THE_LEAD_GOAL,
            },
        ],
    )
    journey_start(account=account, template=template, started_on=START, plan_onboarding=False)
    return account


def test_a_measured_milestone_completes_exactly_once_with_its_evidence(measured_journey: Account) -> None:
    account = measured_journey
    _leads(account, START, START + dt.timedelta(days=27), 5)  # 140 in the first 28 days
    _leads(account, START + dt.timedelta(days=28), START + dt.timedelta(days=69), 7)
    today = START + dt.timedelta(days=69)  # 196 in the 28 days to today: +40%

    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=today)
    progress = MilestoneProgress.objects.get(account=account, key="progress")
    assert progress.completed_on == today
    assert progress.evidence["summary"] == (
        "leads +40%: 196 in the 28 days to 2026-11-09 against 140 in the first 28 days (2026-09-01 to 2026-09-28)"
    )
    assert progress.evidence["measures"]["measures.leads_28d.growth_pct"]["value"] == pytest.approx(40)
    assert progress.measured["baseline"]["leads_28d"]["value"] == 140

    # Later evaluations, even with a collapse in leads, neither complete it again nor move it.
    _leads(account, today + dt.timedelta(days=1), today + dt.timedelta(days=40), 0)
    for later in (today + dt.timedelta(days=1), today + dt.timedelta(days=40)):
        journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=later)
    progress.refresh_from_db()
    assert progress.completed_on == today
    entries = TimelineEntry.objects.filter(account=account, kind=EntryKind.MILESTONE_COMPLETED, data__key="progress")
    assert entries.count() == 1
    assert "leads +40%" in entries.get().summary


def test_the_baseline_is_kept_with_the_milestone_and_not_moved_by_late_data(measured_journey: Account) -> None:
    account = measured_journey
    _leads(account, START, START + dt.timedelta(days=27), 5)
    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=START + dt.timedelta(days=30))
    progress = MilestoneProgress.objects.get(account=account, key="progress")
    assert progress.completed_on is None
    assert progress.measured["baseline"]["leads_28d"]["value"] == 140
    assert progress.measured["readings"]["measures.leads_28d.growth_pct"]["value"] is not None

    # A late import doubles the first month: the kept baseline stands, so +40% on 196 still needs 196.
    _leads(account, START, START + dt.timedelta(days=27), 10)
    _leads(account, START + dt.timedelta(days=28), START + dt.timedelta(days=69), 7)
    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=START + dt.timedelta(days=69))
    progress.refresh_from_db()
    assert progress.measured["baseline"]["leads_28d"]["value"] == 140
    assert progress.completed_on == START + dt.timedelta(days=69)


def test_without_a_goal_the_goal_form_is_not_met_and_says_why_then_completes_from_the_plan(
    measured_journey: Account,
) -> None:
    account = measured_journey
    _leads(account, START, START + dt.timedelta(days=59), 5)  # 300 leads to date
    today = START + dt.timedelta(days=59)
    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=today)
    progress = MilestoneProgress.objects.get(account=account, key="achievement")
    assert progress.completed_on is None
    reading = progress.measured["readings"]["measures.leads_to_date.goal_pct"]
    assert reading == {"value": None, "words": "leads to date: no goal is set in the success plan"}

    plan = plan_services.plan_get_or_create(account=account, actor=None)
    goal = plan_services.goal_add(plan=plan, actor=None, title="Double inbound leads")
    objective = plan_services.objective_add(goal=goal, actor=None, title="Leads from the blog")
    plan_services.metric_add(
        objective=objective,
        actor=None,
        name="Inbound leads",
        unit="leads",
        start_value=Decimal(0),
        target_value=Decimal(500),
    )
    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=today)
    progress.refresh_from_db()
    # Dated on the day the share was reached (250 leads, on the 50th day), with the figures of that day.
    assert progress.completed_on == START + dt.timedelta(days=49)
    assert progress.evidence["summary"] == "leads to date 250 = 50% of the goal of 500 (since 2026-09-01)"


def test_the_account_page_shows_why_a_measure_is_not_met_and_the_effort_beside_achievement(
    measured_journey: Account, carol: Member, client: Client
) -> None:
    account = measured_journey
    _leads(account, START, START + dt.timedelta(days=59), 5)
    journeys_advance(workspace=account.workspace, account_ids=[account.pk], today=START + dt.timedelta(days=59))
    assert client.login(username=carol.user.get_username(), password=PASSWORD)
    page = client.get(reverse("account", args=[account.workspace.slug, account.pk])).content.decode()
    assert "leads to date: no goal is set in the success plan" in page
    assert "Level of effort: 0 touchpoints and 0 tasks done since 2026-09-01" in page
