from __future__ import annotations

import datetime as dt

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.config.schedule import SCHEDULE
from retain.journeys.choices import MilestoneStatus
from retain.journeys.jobs import evaluate_journeys
from retain.journeys.models import Journey, MilestoneProgress
from retain.tenancy.models import Workspace


def test_the_nightly_run_starts_journeys_for_onboarding_accounts(workspace: Workspace, account: Account) -> None:
    settled = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Settled", tier="enterprise", stage="success"
    )
    evaluate_journeys()
    assert Journey.objects.get(account=account).template.key == "critical-path"
    assert not Journey.objects.filter(account=settled).exists()
    evaluate_journeys()
    assert Journey.objects.count() == 1


def test_the_nightly_run_moves_statuses_with_the_calendar(workspace: Workspace, account: Account) -> None:
    account_services.account_update(
        account=account, actor=None, via="test", customer_since=workspace_today(workspace) - dt.timedelta(days=10)
    )
    evaluate_journeys(workspace.pk)
    setup = MilestoneProgress.objects.get(account=account, key="technical-setup")
    assert setup.status == MilestoneStatus.BEHIND


def test_the_job_is_on_the_schedule() -> None:
    assert any(entry["task"] == "retain.journeys.jobs.evaluate_journeys" for entry in SCHEDULE.values())
