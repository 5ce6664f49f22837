from __future__ import annotations

import datetime as dt

from retain.accounts.models import Account
from retain.health import catalogue
from retain.health.measures import compute_measures
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start
from retain.tenancy.models import Workspace

START = dt.date(2026, 9, 1)


def test_milestones_on_track_is_a_registered_measure_kind() -> None:
    measure = catalogue.get("milestones_on_track")
    assert measure.describe(0.5) == "50% of the journey milestones due are done"
    assert measure.describe(None) == "no journey milestone due yet"


def test_it_is_the_share_of_due_milestones_done_by_the_day(workspace: Workspace, account: Account) -> None:
    journey_start(account=account, started_on=START)
    day = START + dt.timedelta(weeks=4)  # set-up, oriented and active are due
    MilestoneProgress.objects.filter(account=account, key="technical-setup").update(completed_on=START)
    MilestoneProgress.objects.filter(account=account, key="oriented").update(completed_on=day + dt.timedelta(days=1))

    values = compute_measures(workspace, [account.pk], day, kinds=["milestones_on_track"])
    assert values[account.pk]["milestones_on_track"] == 1 / 3
    later = compute_measures(workspace, [account.pk], day + dt.timedelta(days=1), kinds=["milestones_on_track"])
    assert later[account.pk]["milestones_on_track"] == 2 / 3


def test_it_is_missing_before_anything_is_due(workspace: Workspace, account: Account) -> None:
    journey_start(account=account, started_on=START)
    values = compute_measures(workspace, [account.pk], START, kinds=["milestones_on_track"])
    assert values[account.pk]["milestones_on_track"] is None
