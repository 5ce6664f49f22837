"""Success plans: the tree, its roll-up, bound metrics refreshed from usage, commitments and history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.health import catalogue
from retain.plans import selectors, services
from retain.plans.models import Commitment, PlanEvent, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(account: Account, carol: Member) -> SuccessPlan:
    return services.plan_get_or_create(account=account, actor=carol)


@pytest.fixture
def contact(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", first_name="Jane", last_name="Doe", email="jane@globex.example"
    )


def test_a_plan_is_created_once_per_account(account: Account, carol: Member) -> None:
    first = services.plan_get_or_create(account=account, actor=carol)
    second = services.plan_get_or_create(account=account, actor=carol)
    assert first.pk == second.pk
    assert first.workspace_id == account.workspace_id


def test_progress_rolls_up_from_metrics_to_objectives_goals_and_plan(plan: SuccessPlan, carol: Member) -> None:
    leads = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    inbound = services.objective_add(goal=leads, actor=carol, title="Leads flowing from the blog")
    services.metric_add(
        objective=inbound,
        actor=carol,
        name="Leads a month",
        start_value=D(100),
        target_value=D(200),
        current_value=D(150),
    )  # 50%
    services.metric_add(
        objective=inbound,
        actor=carol,
        name="Cost per lead",
        start_value=D(40),
        target_value=D(20),
        current_value=D(20),
    )  # 100%
    services.objective_add(goal=leads, actor=carol, title="Nothing measured yet")  # no metrics: left out
    speed = services.goal_add(plan=plan, actor=carol, title="Faster campaigns")
    launch = services.objective_add(goal=speed, actor=carol, title="Launch in a day")
    services.metric_add(
        objective=launch,
        actor=carol,
        name="Days to launch",
        start_value=D(10),
        target_value=D(1),
        current_value=D(12),
    )  # worse than start: 0%

    view = selectors.plan_view(plan)

    assert [round(r.progress, 4) for r in view.goals[0].objectives[0].metrics] == [0.5, 1.0]
    assert view.goals[0].objectives[0].progress == 0.75
    assert view.goals[0].objectives[1].progress is None
    assert view.goals[0].progress == 0.75
    assert view.goals[1].progress == 0.0
    assert view.progress == 0.375


def test_commitments_done_share_rolls_up(plan: SuccessPlan, carol: Member, contact: Contact) -> None:
    today = dt.date.today()
    ours = services.commitment_add(
        plan=plan, actor=carol, description="Run the CRM set-up", due_on=today, owner_member=carol
    )
    services.commitment_add(
        plan=plan, actor=carol, description="Share the lead goals", due_on=today, owner_contact=contact
    )
    services.commitment_set_status(commitment=ours, actor=carol, status="done")
    assert selectors.plan_view(plan).commitments_done == 0.5


def test_a_bound_metric_refreshes_itself_from_usage_rollups(plan: SuccessPlan, carol: Member, account: Account) -> None:
    goal = services.goal_add(plan=plan, actor=carol, title="Daily habit")
    objective = services.objective_add(goal=goal, actor=carol, title="The team signs in")
    metric = services.metric_add(
        objective=objective,
        actor=carol,
        name="Logins in 28 days",
        start_value=D(0),
        target_value=D(40),
        measure_kind="logins",
    )
    today = workspace_today(account.workspace)
    for back, logins in ((0, 7), (3, 5), (40, 99)):  # the 40-days-old day is outside the 28-day window
        DailyAccountUsage.objects.create(
            workspace=account.workspace,
            account=account,
            day=today - dt.timedelta(days=back),
            events=logins,
            logins=logins,
            active_users=1,
        )

    changed = services.metrics_refresh(workspace=account.workspace, day=today)

    metric.refresh_from_db()
    assert changed == 1
    assert metric.current_value == D(12)
    assert metric.current_as_of == today
    assert selectors.plan_view(plan).goals[0].progress == 0.3
    assert PlanEvent.objects.filter(plan=plan, summary__contains="Logins in 28 days: 0 → 12").exists()


def test_refresh_leaves_unbound_metrics_and_other_workspaces_alone(
    plan: SuccessPlan, carol: Member, account: Account, other_workspace: object
) -> None:
    goal = services.goal_add(plan=plan, actor=carol, title="Goal")
    objective = services.objective_add(goal=goal, actor=carol, title="Objective")
    typed = services.metric_add(
        objective=objective, actor=carol, name="Typed", start_value=D(1), target_value=D(5), current_value=D(3)
    )
    assert services.metrics_refresh(workspace=other_workspace) == 0  # type: ignore[arg-type]  # the fixture's workspace is typed as the model's base
    assert services.metrics_refresh(workspace=account.workspace) == 0
    typed.refresh_from_db()
    assert typed.current_value == D(3)


def test_a_bound_metric_cannot_be_typed_over(plan: SuccessPlan, carol: Member) -> None:
    goal = services.goal_add(plan=plan, actor=carol, title="Goal")
    objective = services.objective_add(goal=goal, actor=carol, title="Objective")
    metric = services.metric_add(
        objective=objective,
        actor=carol,
        name="Active days",
        start_value=D(0),
        target_value=D(20),
        measure_kind="active_days",
    )
    with pytest.raises(ValidationError) as error:
        services.metric_set_current(metric=metric, actor=carol, current_value=D(10))
    assert "current_value" in error.value.message_dict


def test_an_unknown_measure_kind_is_refused_naming_the_field(plan: SuccessPlan, carol: Member) -> None:
    goal = services.goal_add(plan=plan, actor=carol, title="Goal")
    objective = services.objective_add(goal=goal, actor=carol, title="Objective")
    with pytest.raises(ValidationError) as error:
        services.metric_add(
            objective=objective, actor=carol, name="X", start_value=D(0), target_value=D(1), measure_kind="vibes"
        )
    assert "measure_kind" in error.value.message_dict


def test_a_commitment_is_owned_by_a_contact_or_a_member_not_both_nor_neither(
    plan: SuccessPlan, carol: Member, contact: Contact
) -> None:
    due = dt.date.today()
    with pytest.raises(ValidationError) as both:
        services.commitment_add(
            plan=plan, actor=carol, description="X", due_on=due, owner_contact=contact, owner_member=carol
        )
    with pytest.raises(ValidationError) as neither:
        services.commitment_add(plan=plan, actor=carol, description="X", due_on=due)
    assert "owner" in both.value.message_dict
    assert "owner" in neither.value.message_dict
    theirs = services.commitment_add(
        plan=plan, actor=carol, description="Migrate the blog", due_on=due, owner_contact=contact
    )
    assert theirs.side == "customer"


def test_the_database_also_refuses_a_commitment_with_two_owners(
    plan: SuccessPlan, carol: Member, contact: Contact
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.create(
            plan=plan, description="X", due_on=dt.date.today(), owner_contact=contact, owner_member=carol
        )


def test_a_commitment_owner_must_come_from_the_plan_account_and_workspace(
    plan: SuccessPlan, carol: Member, olga: Member, workspace: object
) -> None:
    other = account_services.account_create(workspace=plan.account.workspace, actor=None, via="test", name="Initech")
    stranger = account_services.contact_create(
        account=other, actor=None, via="test", first_name="Bob", email="bob@initech.example"
    )
    with pytest.raises(ValidationError) as wrong_account:
        services.commitment_add(plan=plan, actor=carol, description="X", due_on=dt.date.today(), owner_contact=stranger)
    with pytest.raises(ValidationError) as wrong_workspace:
        services.commitment_add(plan=plan, actor=carol, description="X", due_on=dt.date.today(), owner_member=olga)
    assert "owner_contact" in wrong_account.value.message_dict
    assert "owner_member" in wrong_workspace.value.message_dict


def test_every_change_is_recorded_in_the_plan_history(plan: SuccessPlan, carol: Member) -> None:
    services.plan_update(plan=plan, actor=carol, vision="The go-to marketing team in their market", status="active")
    goal = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    objective = services.objective_add(goal=goal, actor=carol, title="Blog live")
    metric = services.metric_add(objective=objective, actor=carol, name="Posts", start_value=D(0), target_value=D(10))
    services.metric_set_current(metric=metric, actor=carol, current_value=D(4))
    commitment = services.commitment_add(
        plan=plan, actor=carol, description="Kick-off", due_on=dt.date.today(), owner_member=carol
    )
    services.commitment_set_status(commitment=commitment, actor=carol, status="missed")
    services.plan_update(plan=plan, actor=carol, vision=plan.vision, status="active")  # no change, no entry

    history = list(PlanEvent.objects.filter(plan=plan).order_by("id").values_list("summary", flat=True))
    assert history == [
        "Plan started",
        "Plan: vision rewritten",
        "Goal added: Double inbound leads",
        "Objective added to “Double inbound leads”: Blog live",
        "Metric added: Posts from 0 to 10",
        "Metric Posts: 0 → 4",
        f"Commitment added: Kick-off (Carol, due {dt.date.today()})",
        "Commitment Kick-off: Open → Missed",
    ]
    assert all(e.actor_id == carol.pk for e in PlanEvent.objects.filter(plan=plan))


def test_a_kind_nothing_computes_does_not_stop_the_other_metrics(
    plan: SuccessPlan, carol: Member, account: Account
) -> None:
    goal = services.goal_add(plan=plan, actor=carol, title="Goal")
    objective = services.objective_add(goal=goal, actor=carol, title="Objective")
    logins = services.metric_add(
        objective=objective, actor=carol, name="Logins", start_value=D(0), target_value=D(10), measure_kind="logins"
    )
    orphan = catalogue.MeasureKind(
        kind="plans_test_orphan",
        name="Orphan",
        group=catalogue.USAGE,
        direction=1,
        unit="",
        doc="",
        words=lambda v, p: "",
        when_missing="",
    )
    catalogue.register(orphan)
    try:
        services.metric_add(
            objective=objective,
            actor=carol,
            name="Orphan",
            start_value=D(0),
            target_value=D(1),
            measure_kind="plans_test_orphan",
        )
        today = workspace_today(account.workspace)
        DailyAccountUsage.objects.create(workspace=account.workspace, account=account, day=today, logins=2)
        assert services.metrics_refresh(workspace=account.workspace, day=today) == 1
    finally:
        del catalogue.MEASURES["plans_test_orphan"]
    logins.refresh_from_db()
    assert logins.current_value == D(2)


def test_a_metric_bound_to_a_warehouse_measure_refreshes_from_it_and_must_name_one_of_the_workspace(
    plan: SuccessPlan, carol: Member, account: Account
) -> None:
    from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseValue

    goal = services.goal_add(plan=plan, actor=carol, title="Goal")
    objective = services.objective_add(goal=goal, actor=carol, title="Objective")

    def add(kind: str) -> SuccessMetric:
        return services.metric_add(
            objective=objective, actor=carol, name="Seats", start_value=D(0), target_value=D(20), measure_kind=kind
        )

    with pytest.raises(ValidationError) as missing:
        add("warehouse.seats_used")
    assert missing.value.message_dict["measure_kind"] == ["no warehouse measure 'seats_used' in this workspace"]
    lake = WarehouseConnection.objects.create(workspace=plan.workspace, name="Lake", url="duckdb:////srv/l.duckdb")
    measure = WarehouseMeasure.objects.create(
        workspace=plan.workspace, connection=lake, key="seats_used", name="Seats used", sql="SELECT 1"
    )
    with pytest.raises(ValidationError) as reversed_:
        add("warehouse_low.seats_used")
    assert "is warehouse.seats_used" in reversed_.value.message_dict["measure_kind"][0]
    metric = add("warehouse.seats_used")
    today = workspace_today(plan.workspace)
    WarehouseValue.objects.create(workspace=plan.workspace, measure=measure, account=account, day=today, value=12.0)
    services.metrics_refresh(workspace=plan.workspace, day=today)
    metric.refresh_from_db()
    assert metric.current_value == D(12)


def test_the_metric_form_offers_the_workspace_s_warehouse_measures_only(
    plan: SuccessPlan, other_workspace: Workspace
) -> None:
    from retain.health.models import WarehouseConnection, WarehouseMeasure
    from retain.web.forms_plans import MetricForm

    for workspace, key in ((plan.workspace, "seats_used"), (other_workspace, "their_secret")):
        lake = WarehouseConnection.objects.create(workspace=workspace, name="Lake", url="duckdb:////srv/l.duckdb")
        WarehouseMeasure.objects.create(workspace=workspace, connection=lake, key=key, name=key, sql="SELECT 1")
    choices = dict(MetricForm(plan=plan).fields["measure_kind"].choices)  # type: ignore[attr-defined]  # a choice field
    assert choices["warehouse.seats_used"] == "seats_used (warehouse)"
    assert "warehouse.their_secret" not in choices
