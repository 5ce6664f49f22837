"""Every plan service writes its change and its history entry in one transaction: when the history
cannot be written, the change is not made either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.plans import services
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db


class HistoryDown(Exception):
    pass


@pytest.fixture
def tree(account: Account, carol: Member) -> dict[str, Any]:
    plan = services.plan_get_or_create(account=account, actor=carol)
    goal = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    objective = services.objective_add(goal=goal, actor=carol, title="Blog live")
    metric = services.metric_add(objective=objective, actor=carol, name="Posts", start_value=D(0), target_value=D(10))
    commitment = services.commitment_add(
        plan=plan, actor=carol, description="Kick-off", due_on=dt.date(2026, 1, 5), owner_member=carol
    )
    link, _ = services.shared_link_create(account=account, actor=carol)
    initech = account_services.account_create(workspace=account.workspace, actor=None, via="test", name="Initech")
    return {
        "initech": initech,
        "plan": plan,
        "goal": goal,
        "objective": objective,
        "metric": metric,
        "commitment": commitment,
        "link": link,
    }


def rows() -> dict[str, list[tuple[Any, ...]]]:
    """Everything a plan service may write, as plain values."""
    return {
        "plans": list(SuccessPlan.objects.order_by("pk").values_list("pk", "vision", "status", "updated_at")),
        "goals": list(Goal.objects.order_by("pk").values_list("pk", "title")),
        "objectives": list(Objective.objects.order_by("pk").values_list("pk", "title")),
        "metrics": list(SuccessMetric.objects.order_by("pk").values_list("pk", "current_value")),
        "commitments": list(Commitment.objects.order_by("pk").values_list("pk", "status")),
        "links": list(SharedLink.objects.order_by("pk").values_list("pk", "revoked_at")),
        "events": list(PlanEvent.objects.order_by("pk").values_list("pk", "summary")),
    }


CHANGES: dict[str, Callable[[dict[str, Any], Member], object]] = {
    "plan_get_or_create": lambda t, m: services.plan_get_or_create(account=t["initech"], actor=m),
    "plan_update": lambda t, m: services.plan_update(plan=t["plan"], actor=m, vision="Be the best", status="active"),
    "goal_add": lambda t, m: services.goal_add(plan=t["plan"], actor=m, title="Cut churn"),
    "objective_add": lambda t, m: services.objective_add(goal=t["goal"], actor=m, title="QBRs held"),
    "metric_add": lambda t, m: services.metric_add(
        objective=t["objective"], actor=m, name="Leads", start_value=D(1), target_value=D(2)
    ),
    "metric_set_current": lambda t, m: services.metric_set_current(metric=t["metric"], actor=m, current_value=D(4)),
    "commitment_add": lambda t, m: services.commitment_add(
        plan=t["plan"], actor=m, description="Training", due_on=dt.date(2026, 2, 1), owner_member=m
    ),
    "commitment_set_status": lambda t, m: services.commitment_set_status(
        commitment=t["commitment"], actor=m, status="done"
    ),
    "shared_link_create": lambda t, m: services.shared_link_create(account=t["plan"].account, actor=m),
    "shared_link_revoke": lambda t, m: services.shared_link_revoke(link=t["link"], actor=m),
}


@pytest.mark.parametrize("service", sorted(CHANGES))
def test_a_change_whose_history_cannot_be_written_is_not_made(
    service: str, tree: dict[str, Any], carol: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = rows()

    def history_down(**fields: object) -> PlanEvent:
        raise HistoryDown

    monkeypatch.setattr(PlanEvent.objects, "create", history_down)
    with pytest.raises(HistoryDown):
        CHANGES[service](tree, carol)
    assert rows() == before


def test_each_change_is_made_when_the_history_is_written(tree: dict[str, Any], carol: Member) -> None:
    # The same calls, with the history up: each one writes (so the test above proves something).
    for service in sorted(CHANGES):
        before = rows()
        CHANGES[service](tree, carol)
        assert rows() != before, service
