"""Snapshots: what conditions read about an account on a day, built for many accounts at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journey_start
from retain.playbooks.snapshot import build
from retain.playbooks.tests.helpers import score, usage
from retain.tenancy.models import Member, Workspace

DAY = dt.date.today()


def test_account_fields_health_usage_milestones_and_renewal(workspace: Workspace, account: Account) -> None:
    account_services.account_update(
        account=account,
        actor=None,
        via="test",
        traits={"region": "EMEA", "tags": ["vip"]},
        stage_entered_on=DAY - dt.timedelta(days=12),
    )
    score(account, DAY - dt.timedelta(days=8), 70, "green")
    score(account, DAY, 38, "red")
    for offset in range(7, 35):  # 28 baseline days at 10 events a day: 70 a week
        usage(account, DAY - dt.timedelta(days=offset), 10)
    for offset in range(7):  # this week: 35 events, half the baseline
        usage(account, DAY - dt.timedelta(days=offset), 5, users=("u1", "u2", "u3") if offset == 0 else ("u1",))
    journey_start(account=account, started_on=DAY - dt.timedelta(weeks=20))

    snap = build(workspace, DAY)[account.pk]

    assert snap["account.tier"] == "enterprise"
    assert snap["account.status"] == "active"
    assert snap["account.owner"] == "carol@acme.example"
    assert snap["account.mrr"] == 1000.0 and snap["account.arr"] == 12000.0
    assert snap["account.seats"] == 10
    assert snap["account.days_in_stage"] == 12
    assert snap["account.tags"] == ["vip"]
    assert snap["traits.region"] == "EMEA"
    assert (snap["health.score"], snap["health.band"], snap["health.change_7d"]) == (38, "red", -32)
    assert snap["usage.events_7d"] == 35
    assert snap["usage.vs_baseline_pct"] == -50.0
    assert snap["usage.active_users_30d"] == 3
    assert snap["usage.seat_utilisation"] == 0.3
    assert snap["renewal.days_to_term_end"] == 60
    overdue = MilestoneProgress.objects.filter(account=account, due_on__lt=DAY)
    assert snap["milestones.behind"] + snap["milestones.stuck"] == overdue.count() > 0
    assert snap[f"milestone.{overdue.first().key}.status"] in ("behind", "stuck")  # type: ignore[union-attr]  # the rows exist: the test made them


def test_missing_data_is_absent_not_zero(workspace: Workspace, account: Account) -> None:
    snap = build(workspace, DAY)[account.pk]
    assert "health.score" not in snap and "health.change_7d" not in snap
    assert "usage.vs_baseline_pct" not in snap
    assert snap["usage.events_7d"] == 0


def test_an_account_without_active_subscriptions_is_churned(workspace: Workspace, account: Account) -> None:
    subscription = account.subscriptions.get()
    account_services.subscription_churn(subscription=subscription, actor=None, via="test", effective_on=DAY)
    assert build(workspace, DAY)[account.pk]["account.status"] == "churned"
    assert build(workspace, DAY - dt.timedelta(days=1))[account.pk]["account.status"] == "active"


def test_the_query_count_does_not_grow_with_accounts(workspace: Workspace, carol: Member, olga: Member) -> None:
    def add(n: int) -> None:
        for i in range(n):
            a = account_services.account_create(
                workspace=workspace, actor=None, via="test", name=f"A{i}-{n}", owner=carol
            )
            account_services.subscription_create(
                account=a,
                actor=None,
                via="test",
                product="P",
                mrr=Decimal(10),
                seats=2,
                started_on=DAY - dt.timedelta(days=10),
                term_end=DAY + dt.timedelta(days=300),
            )
            score(a, DAY, 50, "yellow")
            usage(a, DAY, 3, users=("x",))

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert len(build(workspace, DAY)) == 2
    add(20)
    with CaptureQueriesContext(connection) as many:
        assert len(build(workspace, DAY)) == 22
    # Eight of playbooks' own (warehouse measures included), two of the team's cadence attributes
    # (coverage model, touchpoints), two of its education attributes (learnings, trained contacts)
    # and one of the portal's (its activity).
    assert len(few) == len(many) <= 13


@pytest.mark.parametrize("ids", [[], None])
def test_it_is_scoped_to_the_workspace(
    workspace: Workspace, other_workspace: Workspace, account: Account, ids: list[int] | None
) -> None:
    assert build(other_workspace, DAY, ids) == {}
    assert set(build(workspace, DAY, None)) == {account.pk}


def test_warehouse_measures_are_attributes_conditions_can_read(workspace: Workspace, account: Account) -> None:
    from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseValue
    from retain.lib import conditions
    from retain.playbooks.definition import snapshot_attrs

    connection = WarehouseConnection.objects.create(workspace=workspace, name="Lake", url="duckdb:////srv/l.duckdb")
    measure = WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="seats_used", name="Seats used", sql="SELECT 1"
    )
    for offset, value in ((3, 4.0), (2, 9.0), (20, 1.0)):
        WarehouseValue.objects.create(
            workspace=workspace, measure=measure, account=account, day=DAY - dt.timedelta(days=offset), value=value
        )
    snap = build(workspace, DAY)[account.pk]
    assert snap["warehouse.seats_used"] == 9.0  # the latest within the last 7 days
    assert "warehouse.seats_used" not in build(workspace, DAY - dt.timedelta(days=4))[account.pk]
    condition = conditions.parse(
        {"attr": "warehouse.seats_used", "op": "gte", "value": 8}, known_attrs=snapshot_attrs()
    )
    assert condition.evaluate(snap)
