from __future__ import annotations

from retain.accounts.models import Account
from retain.config.schedule import SCHEDULE
from retain.renewals.jobs import open_renewals
from retain.renewals.models import ReasonCode, Renewal
from retain.tenancy.models import Workspace


def test_the_job_seeds_reasons_and_opens_renewals_once(workspace: Workspace, account: Account) -> None:
    assert open_renewals(workspace.pk) == 1
    assert open_renewals() == 0
    assert Renewal.objects.filter(account=account).count() == 1
    assert ReasonCode.objects.filter(workspace=workspace).exists()


def test_the_job_is_on_the_schedule() -> None:
    assert any(entry["task"] == "retain.renewals.jobs.open_renewals" for entry in SCHEDULE.values())
