"""Seed 002's Achievement in the default critical path: the share of the year's lead and new-sales goals
reached, measured from usage against the success plan, with the level of effort beside it."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.journeys.defaults import ACHIEVEMENT_GOAL_PCT, ACHIEVEMENT_WEEK, CRITICAL_PATH
from retain.journeys.models import Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.services import journey_start, journeys_advance, milestone_tick, template_publish
from retain.plans import services as plan_services
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage

START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(weeks=ACHIEVEMENT_WEEK)


def _pipeline(account: Account, *, leads: int, sales: int, days: int = 100) -> None:
    """`leads` and `sales` spread over `days` days from the journey's start (rollups as the fold writes)."""
    for offset in range(days):
        day_leads = leads // days + (1 if offset < leads % days else 0)
        day_sales = sales // days + (1 if offset < sales % days else 0)
        key_events = {name: n for name, n in (("Lead Created", day_leads), ("Lead Converted", day_sales)) if n}
        DailyAccountUsage.objects.create(
            workspace_id=account.workspace_id,
            account=account,
            day=START + dt.timedelta(days=offset),
            events=day_leads + day_sales,
            key_events=key_events,
        )


def _goals(account: Account, *, leads: int, sales: int) -> None:
    plan = plan_services.plan_get_or_create(account=account, actor=None)
    goal = plan_services.goal_add(plan=plan, actor=None, title="Hit this year's lead and new-sales goals")
    objective = plan_services.objective_add(goal=goal, actor=None, title="Pipeline from marketing")
    for name, unit, target in (("Leads this year", "leads", leads), ("New sales this year", "sales", sales)):
        plan_services.metric_add(
            objective=objective,
            actor=None,
            name=name,
            unit=unit,
            start_value=Decimal(0),
            target_value=Decimal(target),
        )


@pytest.fixture
def critical(workspace: Workspace) -> Account:
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Globex Marketing", tier="enterprise"
    )
    journey = journey_start(account=account, started_on=START, plan_onboarding=False)
    assert journey.template.key == "critical-path"
    return account


def _achievement(account: Account) -> MilestoneProgress:
    return MilestoneProgress.objects.get(account=account, key="achievement")


def test_the_default_critical_paths_achievement_is_measured_against_both_goals() -> None:
    achievement = next(m for m in CRITICAL_PATH["milestones"] if m["key"] == "achievement")
    assert achievement["kind"] == "data"
    assert achievement["target_week"] == ACHIEVEMENT_WEEK
    attrs = {leaf["attr"] for leaf in achievement["criteria"]["and"]}
    assert attrs == {"measures.leads_to_date.goal_pct", "measures.sales_to_date.goal_pct"}
    assert f"{ACHIEVEMENT_GOAL_PCT}%" in achievement["description"]


def test_achievement_completes_from_the_plans_goals_with_both_numbers_as_evidence(critical: Account) -> None:
    _goals(critical, leads=400, sales=40)
    _pipeline(critical, leads=212, sales=21, days=1)  # a CRM import of the year so far, on one day
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=TODAY)
    progress = _achievement(critical)
    assert progress.completed_on == START
    assert progress.status == "done"
    summary = progress.evidence["summary"]
    assert "leads to date 212 = 53% of the goal of 400 (since 2026-03-02)" in summary
    assert "new sales to date 21 = 52% of the goal of 40 (since 2026-03-02)" in summary
    values = {attr: reading["value"] for attr, reading in progress.evidence["measures"].items()}
    assert values == {
        "measures.leads_to_date.goal_pct": pytest.approx(53),
        "measures.sales_to_date.goal_pct": pytest.approx(52.5),
    }


def test_leads_on_pace_but_too_few_sales_is_not_achievement_and_says_so(critical: Account) -> None:
    _goals(critical, leads=400, sales=40)
    _pipeline(critical, leads=260, sales=12)
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=TODAY)
    progress = _achievement(critical)
    assert progress.completed_on is None
    readings = progress.measured["readings"]
    assert readings["measures.sales_to_date.goal_pct"]["words"] == (
        "new sales to date 12 = 30% of the goal of 40 (since 2026-03-02)"
    )
    assert readings["measures.leads_to_date.goal_pct"]["value"] == pytest.approx(65)


def test_the_account_page_shows_achievement_reached_with_the_effort_it_took(
    critical: Account, carol: Member, client: Client
) -> None:
    _goals(critical, leads=400, sales=40)
    _pipeline(critical, leads=212, sales=21, days=1)
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=TODAY)
    assert client.login(username=carol.user.get_username(), password=PASSWORD)
    page = client.get(reverse("account", args=[critical.workspace.slug, critical.pk])).content.decode()
    assert "leads to date 212 = 53% of the goal of 400" in page
    assert "Level of effort: 0 touchpoints and 0 tasks done since 2026-03-02" in page


# Workspaces that had the old checklist Achievement ----------------------------------------------------

OLD_ACHIEVEMENT: dict[str, Any] = {
    "key": "achievement",
    "name": "Achievement",
    "target_week": 12,
    "kind": "checklist",
    "description": "Weeks 12 to 52: the share of the customer's goals reached, reviewed each quarter.",
    "items": ["Goals reviewed with the sponsor", "Share of goals reached recorded"],
}


def _old_critical_path(workspace: Workspace) -> JourneyTemplate:
    milestones = [OLD_ACHIEVEMENT if m["key"] == "achievement" else m for m in CRITICAL_PATH["milestones"]]
    data = {**CRITICAL_PATH, "milestones": milestones}
    return template_publish(workspace=workspace, **data)


def _migrate() -> None:
    migration = importlib.import_module("retain.journeys.migrations.0005_measured_achievement")
    migration.forwards(django_apps, None)


def _on(template: JourneyTemplate, name: str) -> Account:
    account = account_services.account_create(
        workspace=template.workspace, actor=None, via="test", name=name, tier="enterprise"
    )
    journey_start(account=account, template=template, started_on=START, plan_onboarding=False)
    return account


def test_open_journeys_on_the_old_checklist_move_to_the_measured_achievement(workspace: Workspace) -> None:
    old = _old_critical_path(workspace)
    open_one, ticked, churned = _on(old, "Open"), _on(old, "Ticked"), _on(old, "Churned")
    for item in OLD_ACHIEVEMENT["items"]:
        milestone_tick(progress=_achievement(ticked), item=item, actor=None, today=START + dt.timedelta(weeks=11))
    Journey.objects.filter(account=churned).update(closed_on=START + dt.timedelta(weeks=5), closed_reason="Churned")

    _migrate()

    current = JourneyTemplate.objects.get(workspace=workspace, key="critical-path", is_current=True)
    assert current.version == old.version + 1
    assert current.milestone("achievement")["kind"] == "data"
    assert [m for m in current.milestones if m["key"] != "achievement"] == [
        m for m in old.milestones if m["key"] != "achievement"
    ]
    # The open journey is measured from now on, due half-way through its year.
    assert Journey.objects.get(account=open_one).template_id == current.pk
    assert _achievement(open_one).due_on == START + dt.timedelta(weeks=ACHIEVEMENT_WEEK)
    # An Achievement ticked complete stays complete, with its ticks as evidence.
    done = _achievement(ticked)
    assert Journey.objects.get(account=ticked).template_id == current.pk
    assert done.completed_on == START + dt.timedelta(weeks=11)
    assert "Goals reviewed with the sponsor ticked on" in done.evidence["summary"]
    # A closed journey is history: it keeps the version it walked.
    assert Journey.objects.get(account=churned).template_id == old.pk

    _goals(open_one, leads=100, sales=10)
    _pipeline(open_one, leads=60, sales=6)
    journeys_advance(workspace=workspace, today=TODAY)
    assert _achievement(open_one).completed_on is not None
    assert "leads to date 50 = 50% of the goal of 100" in _achievement(open_one).evidence["summary"]
    assert _achievement(ticked).completed_on == START + dt.timedelta(weeks=11)


def test_a_workspace_that_changed_its_achievement_keeps_it(workspace: Workspace) -> None:
    own = {**OLD_ACHIEVEMENT, "items": ["Sponsor signed the goal review"]}
    milestones = [own if m["key"] == "achievement" else m for m in CRITICAL_PATH["milestones"]]
    template_publish(workspace=workspace, **{**CRITICAL_PATH, "milestones": milestones})
    _migrate()
    templates = JourneyTemplate.objects.filter(workspace=workspace, key="critical-path")
    assert templates.count() == 1
    assert templates.get().milestone("achievement")["items"] == ["Sponsor signed the goal review"]


def test_an_evaluation_that_comes_late_dates_achievement_on_the_day_the_goals_share_was_reached(
    critical: Account,
) -> None:
    _goals(critical, leads=400, sales=40)
    _pipeline(critical, leads=400, sales=40, days=100)  # 4 leads a day; a sale on each of the first 40 days
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=TODAY)
    progress = _achievement(critical)
    # 200 leads (50%) on the 50th day; the 20 sales came earlier: reached on day 50, before it was due.
    reached = START + dt.timedelta(days=49)
    assert progress.completed_on == reached and progress.status == "done"
    assert "leads to date 200 = 50% of the goal of 400 (since 2026-03-02)" in progress.evidence["summary"]
    assert "new sales to date 40 = 100% of the goal of 40" in progress.evidence["summary"]


def test_leads_coming_in_put_achievement_on_track_and_their_stopping_makes_it_stuck(critical: Account) -> None:
    _goals(critical, leads=400, sales=40)
    _pipeline(critical, leads=40, sales=4, days=40)  # a lead a day for 40 days, then nothing
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=START + dt.timedelta(days=45))
    progress = _achievement(critical)
    assert (progress.status, progress.last_progress_on) == ("on_track", START + dt.timedelta(days=39))
    journeys_advance(workspace=critical.workspace, account_ids=[critical.pk], today=TODAY + dt.timedelta(days=1))
    assert _achievement(critical).status == "stuck"  # past due, and no lead for months
