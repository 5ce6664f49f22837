"""A journey milestone may read a warehouse measure (`warehouse.<key>`) as playbooks and scorecards do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.models import Account
from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseValue
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start, journeys_advance, template_publish
from retain.tenancy.models import Workspace

START = dt.date(2026, 9, 1)
SEATS_UP = {"attr": "warehouse.seats_used", "op": "gte", "value": 8}


def _measure(workspace: Workspace) -> WarehouseMeasure:
    connection = WarehouseConnection.objects.create(workspace=workspace, name="Lake", url="duckdb:////srv/l.duckdb")
    return WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="seats_used", name="Seats used", sql="SELECT 1"
    )


@pytest.fixture
def seated(account: Account) -> Account:
    template = template_publish(
        workspace=account.workspace,
        key="seated",
        name="Seated path",
        milestones=[{"key": "seats", "name": "Seats in use", "target_week": 4, "kind": "data", "criteria": SEATS_UP}],
    )
    journey_start(account=account, template=template, started_on=START, plan_onboarding=False)
    return account


def test_a_milestone_completes_from_the_latest_fresh_warehouse_value(seated: Account) -> None:
    measure = _measure(seated.workspace)
    day = START + dt.timedelta(days=20)
    for offset, value in ((12, 20.0), (3, 5.0)):  # the older value would meet it, the latest does not
        WarehouseValue.objects.create(
            workspace=seated.workspace,
            measure=measure,
            account=seated,
            day=day - dt.timedelta(days=offset),
            value=value,
        )
    journeys_advance(workspace=seated.workspace, account_ids=[seated.pk], today=day)
    progress = MilestoneProgress.objects.get(account=seated, key="seats")
    assert progress.completed_on is None

    WarehouseValue.objects.create(workspace=seated.workspace, measure=measure, account=seated, day=day, value=9.0)
    journeys_advance(workspace=seated.workspace, account_ids=[seated.pk], today=day)
    progress.refresh_from_db()
    assert progress.completed_on == day
    assert "warehouse seats used: 9" in progress.evidence["summary"]


def test_another_workspaces_warehouse_values_are_not_read(seated: Account, other_workspace: Workspace) -> None:
    from retain.accounts.services import account_create

    stranger = account_create(workspace=other_workspace, actor=None, via="test", name="Stranger")
    measure = _measure(other_workspace)
    WarehouseValue.objects.create(workspace=other_workspace, measure=measure, account=stranger, day=START, value=99.0)
    journeys_advance(workspace=seated.workspace, account_ids=[seated.pk], today=START)
    assert MilestoneProgress.objects.get(account=seated, key="seats").completed_on is None


def test_a_template_may_name_warehouse_attributes_but_not_unknown_ones(account: Account) -> None:
    with pytest.raises(ValidationError) as refused:
        template_publish(
            workspace=account.workspace,
            key="typo",
            name="Typo",
            milestones=[
                {
                    "key": "x",
                    "name": "X",
                    "target_week": 1,
                    "kind": "data",
                    "criteria": {"attr": "warehose.x", "op": "gte", "value": 1},
                }
            ],
        )
    assert "warehose.x" in str(refused.value)
