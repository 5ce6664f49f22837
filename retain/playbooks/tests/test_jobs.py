"""The minutely job: scan every workspace, then sweep what is due."""

from __future__ import annotations

import datetime as dt

from retain.accounts.models import Account
from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.playbooks import jobs
from retain.playbooks.models import Enrollment
from retain.playbooks.tests.helpers import playbook
from retain.tenancy.models import Workspace


def test_it_is_scheduled_every_minute_with_an_expiry() -> None:
    entry = SCHEDULE["run-playbooks"]
    assert entry["task"] == "retain.playbooks.jobs.run_playbooks"
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 60.0
    assert 0 < entry["options"]["expires"] < 60


def test_one_run_enrols_and_works_through_due_occurrences(workspace: Workspace, account: Account) -> None:
    playbook(
        workspace,
        key="tag-it",
        trigger={"kind": "time", "from": "subscription_start", "after_days": 305},
        steps=[{"set": {"field": "tag", "value": "year-one"}}, {"wait": {"days": 3}}],
    )
    assert jobs.run_playbooks() == 1
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "waiting"
    assert enrollment.claimed_by is None
    assert enrollment.due_at > enrollment.created_at + dt.timedelta(days=2)
    account.refresh_from_db()
    assert account.traits["tags"] == ["year-one"]
    assert jobs.run_playbooks() == 0
