"""Milestones follow new usage within a minute: the usage fold re-evaluates the accounts it touched."""

from __future__ import annotations

import datetime as dt

from retain.accounts import services as account_services
from retain.accounts.selectors import workspace_today
from retain.health.tests.test_jobs import send, track
from retain.journeys.choices import MilestoneStatus
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start
from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import write_key_create
from retain.usage.jobs import fold_usage


def test_the_minutely_fold_completes_milestones_the_new_usage_proves(workspace: Workspace) -> None:
    key: WriteKey = write_key_create(workspace=workspace, name="Product")[0]
    initech = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1", tier="community"
    )

    journey_start(account=initech, started_on=workspace_today(initech.workspace) - dt.timedelta(days=3))
    send(key, track("ann", "Tracking Code Installed", "m1"), track("ann", "Signed In", "m2"))

    fold_usage.delay().get()

    setup = MilestoneProgress.objects.get(account=initech, key="technical-setup")
    assert setup.status == MilestoneStatus.DONE
    assert setup.evidence["events"] == {"Tracking Code Installed": workspace_today(initech.workspace).isoformat()}
