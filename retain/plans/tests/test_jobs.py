"""The hourly refresh of bound success metrics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.plans import jobs, services
from retain.plans.models import SuccessMetric
from retain.tenancy.models import Member
from retain.usage.models import DailyAccountUsage

pytestmark = pytest.mark.django_db


def test_the_job_refreshes_bound_metrics_of_every_workspace(account: Account, carol: Member) -> None:
    plan = services.plan_get_or_create(account=account, actor=carol)
    goal = services.goal_add(plan=plan, actor=carol, title="Habit")
    objective = services.objective_add(goal=goal, actor=carol, title="Signs in")
    services.metric_add(
        objective=objective,
        actor=carol,
        name="Active days",
        start_value=D(0),
        target_value=D(20),
        measure_kind="active_days",
    )
    today = workspace_today(account.workspace)
    for back in range(3):
        DailyAccountUsage.objects.create(
            workspace=account.workspace, account=account, day=today - dt.timedelta(days=back), events=4, active_users=1
        )

    assert jobs.refresh_bound_metrics() == 1
    assert SuccessMetric.objects.get().current_value == D(3)
    assert jobs.refresh_bound_metrics() == 0


def test_the_refresh_is_scheduled_with_an_expiry() -> None:
    entry = SCHEDULE["refresh-success-metrics"]
    assert entry["task"] == "retain.plans.jobs.refresh_bound_metrics"
    assert entry["task"] in app.tasks
    assert entry["options"]["expires"] > 0
