"""/api/v1/success-plans/, goals/, objectives/, success-metrics/, commitments/ and shared-links/.

Every member reads; whoever may edit the account edits its plan; viewers get 403 on writes;
outsiders get 404 for every object and 400 for this workspace's ids passed in a body. Every change
lands in the plan's history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.api.tests.conftest import ClientFor
from retain.lib.tokens import hash_token
from retain.plans import services
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")

DUE = dt.date(2026, 12, 1)


@pytest.fixture
def jane(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", first_name="Jane", last_name="Doe", email="jane@globex.example"
    )


@pytest.fixture
def plan(account: Account, carol: Member, jane: Contact) -> SuccessPlan:
    """Globex's plan: one goal, one objective, a typed-in metric half way there, and a commitment."""
    plan = services.plan_get_or_create(account=account, actor=carol)
    services.plan_update(plan=plan, actor=carol, vision="Be the go-to marketing team", status="active")
    goal = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    objective = services.objective_add(goal=goal, actor=carol, title="Leads flowing")
    services.metric_add(
        objective=objective, actor=carol, name="Leads a month", start_value=D(100), target_value=D(200),
        current_value=D(150),
    )  # fmt: skip
    services.commitment_add(plan=plan, actor=carol, description="Migrate the blog", due_on=DUE, owner_contact=jane)
    return plan


@pytest.fixture
def goal(plan: SuccessPlan) -> Goal:
    return plan.goals.get()


@pytest.fixture
def objective(goal: Goal) -> Objective:
    return goal.objectives.get()


@pytest.fixture
def metric(objective: Objective) -> SuccessMetric:
    return objective.metrics.get()


@pytest.fixture
def commitment(plan: SuccessPlan) -> Commitment:
    return plan.commitments.get()


@pytest.fixture
def initech(other_workspace: Workspace) -> Account:
    return account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech")


def history(plan: SuccessPlan) -> list[str]:
    return list(PlanEvent.objects.filter(plan=plan).order_by("id").values_list("summary", flat=True))


# Success plans -------------------------------------------------------------------------------------


def test_a_plan_reads_as_a_tree_with_its_progress(plan: SuccessPlan, vic: Member, client_for: ClientFor) -> None:
    body = client_for(vic).get(f"/api/v1/success-plans/{plan.pk}/").json()
    assert (body["account"], body["vision"], body["status"]) == (
        plan.account_id,
        "Be the go-to marketing team",
        "active",
    )
    assert (body["progress"], body["commitments_done"]) == (0.5, 0.0)
    [goal] = body["goals"]
    [objective] = goal["objectives"]
    [metric] = objective["metrics"]
    assert (goal["title"], goal["progress"], objective["title"], objective["progress"]) == (
        "Double inbound leads", 0.5, "Leads flowing", 0.5,
    )  # fmt: skip
    assert (metric["name"], metric["current_value"], metric["target_value"], metric["progress"]) == (
        "Leads a month", "150.0000", "200.0000", 0.5,
    )  # fmt: skip
    [commitment] = body["commitments"]
    assert (commitment["owner_name"], commitment["side"], commitment["due_on"]) == (
        "Jane Doe",
        "customer",
        "2026-12-01",
    )


def test_plans_list_with_filters(plan: SuccessPlan, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    body = client.get(f"/api/v1/success-plans/?account={plan.account_id}&status=active").json()
    assert body["count"] == 1 and body["results"][0]["progress"] == 0.5
    assert client.get("/api/v1/success-plans/?status=closed").json()["count"] == 0
    response = client.get("/api/v1/success-plans/?status=abandoned")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_the_plan_list_costs_the_same_queries_however_many_plans(
    workspace: Workspace, plan: SuccessPlan, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    client.get("/api/v1/success-plans/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/success-plans/").json()["count"] == 1
    for name in ("Hooli", "Initrode", "Umbrella"):
        account = account_services.account_create(workspace=workspace, actor=None, via="test", name=name)
        other = services.plan_get_or_create(account=account, actor=carol)
        goal = services.goal_add(plan=other, actor=carol, title="Grow")
        objective = services.objective_add(goal=goal, actor=carol, title="Use it")
        services.metric_add(objective=objective, actor=carol, name="Seats", start_value=D(1), target_value=D(5))
        services.commitment_add(plan=other, actor=carol, description="Train", due_on=DUE, owner_member=carol)
    with CaptureQueriesContext(connection) as four:
        assert client.get("/api/v1/success-plans/").json()["count"] == 4
    assert len(four) == len(one)


def test_the_owner_starts_a_plan_once_per_account(account: Account, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    response = client.post("/api/v1/success-plans/", {"account": account.pk, "vision": "Own the market"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["vision"], body["status"], body["goals"], body["progress"]) == ("Own the market", "active", [], None)
    plan = SuccessPlan.objects.get(account=account)
    assert history(plan) == ["Plan started", "Plan: vision rewritten"]
    response = client.post("/api/v1/success-plans/", {"account": account.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]


def test_starting_a_plan_needs_rw_access(
    account: Account, vic: Member, dave: Member, olga: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        response = client_for(member).post("/api/v1/success-plans/", {"account": account.pk}, format="json")
        assert response.status_code == 403
    response = client_for(olga).post("/api/v1/success-plans/", {"account": account.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    assert not SuccessPlan.objects.exists()


def test_the_owner_changes_the_vision_and_status(plan: SuccessPlan, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    response = client.patch(f"/api/v1/success-plans/{plan.pk}/", {"status": "achieved"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["vision"]) == ("achieved", "Be the go-to marketing team")
    assert history(plan)[-1] == "Plan: status Active → Achieved"
    response = client.patch(f"/api/v1/success-plans/{plan.pk}/", {"status": "abandoned"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_the_history_lists_every_change_newest_first(plan: SuccessPlan, vic: Member, client_for: ClientFor) -> None:
    body = client_for(vic).get(f"/api/v1/success-plans/{plan.pk}/history/").json()
    summaries = [row["summary"] for row in body["results"]]
    assert summaries[0].startswith("Commitment added: Migrate the blog (Jane Doe")
    assert summaries[-1] == "Plan started"
    assert body["results"][0]["actor_name"] == "Carol"


def test_plans_require_rw_access(plan: SuccessPlan, vic: Member, dave: Member, client_for: ClientFor) -> None:
    for member in (vic, dave):
        response = client_for(member).patch(f"/api/v1/success-plans/{plan.pk}/", {"status": "closed"}, format="json")
        assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "active"


def test_outsider_gets_404_for_plans(plan: SuccessPlan, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/success-plans/").json()["count"] == 0
    assert client.get(f"/api/v1/success-plans/{plan.pk}/").status_code == 404
    assert client.get(f"/api/v1/success-plans/{plan.pk}/history/").status_code == 404
    assert client.patch(f"/api/v1/success-plans/{plan.pk}/", {"status": "closed"}, format="json").status_code == 404


# Goals and objectives ------------------------------------------------------------------------------


def test_the_owner_adds_and_removes_goals_and_objectives(
    plan: SuccessPlan, goal: Goal, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post("/api/v1/goals/", {"plan": plan.pk, "title": "Cut churn"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["title"], response.json()["position"]) == ("Cut churn", 1)
    new_goal = response.json()["id"]
    response = client.post("/api/v1/objectives/", {"goal": new_goal, "title": "Health reviews"}, format="json")
    assert response.status_code == 201, response.json()
    assert client.get(f"/api/v1/objectives/?plan={plan.pk}").json()["count"] == 2
    assert client.get(f"/api/v1/objectives/?goal={new_goal}").json()["count"] == 1
    assert client.delete(f"/api/v1/goals/{new_goal}/").status_code == 204
    assert client.get(f"/api/v1/goals/?plan={plan.pk}").json()["count"] == 1
    assert history(plan)[-3:] == ["Goal added: Cut churn", "Objective added to “Cut churn”: Health reviews",
                                  "Goal removed: Cut churn"]  # fmt: skip


def test_the_owner_renames_goals_and_objectives_and_the_history_keeps_the_old_titles(
    plan: SuccessPlan, goal: Goal, objective: Objective, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    old_goal, old_objective = goal.title, objective.title
    response = client.patch(f"/api/v1/goals/{goal.pk}/", {"title": "Triple inbound leads"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Triple inbound leads"
    response = client.patch(f"/api/v1/objectives/{objective.pk}/", {"title": "Nurture live"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Nurture live"
    assert history(plan)[-2:] == [f"Goal renamed: “{old_goal}” → “Triple inbound leads”",
                                  f"Objective renamed: “{old_objective}” → “Nurture live”"]  # fmt: skip
    response = client.patch(f"/api/v1/goals/{goal.pk}/", {"title": " "}, format="json")
    assert response.status_code == 400 and "title" in response.json()["errors"]
    goal.refresh_from_db()
    assert goal.title == "Triple inbound leads"


def test_goal_and_objective_errors_name_the_field(
    plan: SuccessPlan, initech: Account, olga: Member, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post("/api/v1/goals/", {"plan": plan.pk, "title": "  "}, format="json")
    assert response.status_code == 400 and "title" in response.json()["errors"]
    foreign_plan = services.plan_get_or_create(account=initech, actor=olga)
    foreign_goal = services.goal_add(plan=foreign_plan, actor=olga, title="Theirs")
    response = client.post("/api/v1/goals/", {"plan": foreign_plan.pk, "title": "Mine"}, format="json")
    assert response.status_code == 400 and "plan" in response.json()["errors"]
    response = client.post("/api/v1/objectives/", {"goal": foreign_goal.pk, "title": "Mine"}, format="json")
    assert response.status_code == 400 and "goal" in response.json()["errors"]
    assert Goal.objects.filter(plan=plan).count() == 1 and not foreign_goal.objectives.exists()


def test_goals_and_objectives_require_rw_access(
    plan: SuccessPlan, goal: Goal, objective: Objective, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        client = client_for(member)
        assert client.post("/api/v1/goals/", {"plan": plan.pk, "title": "X"}, format="json").status_code == 403
        assert client.post("/api/v1/objectives/", {"goal": goal.pk, "title": "X"}, format="json").status_code == 403
        assert client.delete(f"/api/v1/goals/{goal.pk}/").status_code == 403
        assert client.delete(f"/api/v1/objectives/{objective.pk}/").status_code == 403
        assert client.patch(f"/api/v1/goals/{goal.pk}/", {"title": "X"}, format="json").status_code == 403
        assert client.patch(f"/api/v1/objectives/{objective.pk}/", {"title": "X"}, format="json").status_code == 403
    assert Goal.objects.count() == 1 and Objective.objects.count() == 1
    assert Goal.objects.get().title != "X" and Objective.objects.get().title != "X"


def test_outsider_gets_404_for_goals_and_objectives(
    goal: Goal, objective: Objective, olga: Member, client_for: ClientFor
) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/goals/").json()["count"] == 0
    assert client.get("/api/v1/objectives/").json()["count"] == 0
    for url in (f"/api/v1/goals/{goal.pk}/", f"/api/v1/objectives/{objective.pk}/"):
        assert client.get(url).status_code == 404
        assert client.delete(url).status_code == 404
        assert client.patch(url, {"title": "Theirs"}, format="json").status_code == 404
    assert Goal.objects.count() == 1


# Metrics -------------------------------------------------------------------------------------------


def test_the_owner_adds_a_metric_and_types_its_value(
    plan: SuccessPlan, objective: Objective, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post(
        "/api/v1/success-metrics/",
        {"objective": objective.pk, "name": "Workflows live", "start_value": "0", "target_value": "4"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["current_value"], body["progress"], body["measure_kind"]) == ("0.0000", 0.0, "")
    response = client.patch(f"/api/v1/success-metrics/{body['id']}/", {"current_value": "3"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["current_value"], response.json()["progress"]) == ("3.0000", 0.75)
    assert history(plan)[-1] == "Metric Workflows live: 0 → 3"
    assert client.get(f"/api/v1/success-metrics/?plan={plan.pk}&bound=false").json()["count"] == 2


def test_a_bound_metric_refuses_a_typed_value(objective: Objective, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    response = client.post(
        "/api/v1/success-metrics/",
        {"objective": objective.pk, "name": "Logins", "start_value": "10", "target_value": "50",
         "measure_kind": "logins"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert client.get("/api/v1/success-metrics/?bound=true").json()["count"] == 1
    response = client.patch(f"/api/v1/success-metrics/{response.json()['id']}/", {"current_value": "30"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["current_value"] == ["this metric updates itself from usage"]


def test_metric_errors_name_the_field(
    objective: Objective, metric: SuccessMetric, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    base = {"objective": objective.pk, "name": "X", "start_value": "0", "target_value": "1"}
    for body, field in (
        ({**base, "measure_kind": "vibes"}, "measure_kind"),
        ({**base, "target_value": "lots"}, "target_value"),
        ({key: value for key, value in base.items() if key != "start_value"}, "start_value"),
        ({**base, "objective": 999999}, "objective"),
    ):
        response = client.post("/api/v1/success-metrics/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], body
    response = client.patch(f"/api/v1/success-metrics/{metric.pk}/", {}, format="json")
    assert response.status_code == 400 and "current_value" in response.json()["errors"]
    assert SuccessMetric.objects.count() == 1


def test_metrics_require_rw_access(
    objective: Objective, metric: SuccessMetric, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        client = client_for(member)
        response = client.patch(f"/api/v1/success-metrics/{metric.pk}/", {"current_value": "190"}, format="json")
        assert response.status_code == 403
        response = client.post(
            "/api/v1/success-metrics/",
            {"objective": objective.pk, "name": "X", "start_value": "0", "target_value": "1"},
            format="json",
        )
        assert response.status_code == 403
    metric.refresh_from_db()
    assert metric.current_value == D(150) and SuccessMetric.objects.count() == 1


def test_outsider_gets_404_for_metrics(metric: SuccessMetric, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/success-metrics/").json()["count"] == 0
    url = f"/api/v1/success-metrics/{metric.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"current_value": "1"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404


# Commitments ---------------------------------------------------------------------------------------


def test_the_owner_adds_a_commitment_of_ours_and_marks_it_done(
    plan: SuccessPlan, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post(
        "/api/v1/commitments/",
        {"plan": plan.pk, "description": "Run the kick-off", "due_on": "2026-11-30", "owner_member": carol.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["side"], body["owner_name"], body["status"]) == ("us", "Carol", "open")
    response = client.patch(f"/api/v1/commitments/{body['id']}/", {"status": "done"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert client.get(f"/api/v1/success-plans/{plan.pk}/").json()["commitments_done"] == 0.5
    assert client.get(f"/api/v1/commitments/?plan={plan.pk}&status=done").json()["count"] == 1
    assert client.get(f"/api/v1/commitments/?owner_member={carol.pk}").json()["count"] == 1
    assert history(plan)[-1] == "Commitment Run the kick-off: Open → Done"


def test_a_commitment_has_exactly_one_owner_from_this_account_or_team(
    workspace: Workspace,
    plan: SuccessPlan,
    jane: Contact,
    initech: Account,
    carol: Member,
    olga: Member,
    client_for: ClientFor,
) -> None:
    stranger = account_services.contact_create(account=initech, actor=None, via="test", email="bob@initech.example")
    hooli = account_services.account_create(workspace=workspace, actor=None, via="test", name="Hooli")
    neighbour = account_services.contact_create(account=hooli, actor=None, via="test", email="gavin@hooli.example")
    client = client_for(carol)
    base = {"plan": plan.pk, "description": "Install the tracking code", "due_on": "2026-11-30"}
    for owners, field in (
        ({}, "owner"),
        ({"owner_contact": jane.pk, "owner_member": carol.pk}, "owner"),
        ({"owner_contact": stranger.pk}, "owner_contact"),
        ({"owner_contact": neighbour.pk}, "owner_contact"),
        ({"owner_member": olga.pk}, "owner_member"),
    ):
        response = client.post("/api/v1/commitments/", {**base, **owners}, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], owners
    response = client.post("/api/v1/commitments/", {**base, "owner_member": carol.pk, "due_on": "soon"}, format="json")
    assert response.status_code == 400 and "due_on" in response.json()["errors"]
    assert Commitment.objects.count() == 1


def test_a_commitment_status_must_be_known(commitment: Commitment, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(f"/api/v1/commitments/{commitment.pk}/", {"status": "later"}, format="json")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_commitments_require_rw_access(
    plan: SuccessPlan, commitment: Commitment, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        client = client_for(member)
        response = client.patch(f"/api/v1/commitments/{commitment.pk}/", {"status": "done"}, format="json")
        assert response.status_code == 403
        response = client.post(
            "/api/v1/commitments/",
            {"plan": plan.pk, "description": "X", "due_on": "2026-11-30", "owner_member": member.pk},
            format="json",
        )
        assert response.status_code == 403
        assert client.delete(f"/api/v1/commitments/{commitment.pk}/").status_code == 403
    commitment.refresh_from_db()
    assert commitment.status == "open" and Commitment.objects.count() == 1


def test_outsider_gets_404_for_commitments(commitment: Commitment, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/commitments/").json()["count"] == 0
    url = f"/api/v1/commitments/{commitment.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"status": "done"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404


# Shared links --------------------------------------------------------------------------------------


@pytest.mark.urls("retain.config.urls")
def test_a_new_link_returns_its_token_once_and_opens_the_plan(
    plan: SuccessPlan, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post("/api/v1/shared-links/", {"account": plan.account_id, "expires_in_days": 14}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    token, url = body["token"], body["url"]
    assert url.endswith(f"/p/{token}/") and url.startswith("http")
    assert (body["purpose"], body["is_live"], body["revoked_at"]) == ("success_plan", True, None)
    link = SharedLink.objects.get()
    assert link.token_hash == hash_token(token) and link.created_by == carol
    assert abs(link.expires_at - link.created_at - dt.timedelta(days=14)) < dt.timedelta(minutes=1)

    page = Client().get(f"/p/{token}/")
    assert page.status_code == 200 and "Double inbound leads" in page.content.decode()

    listing = client.get(f"/api/v1/shared-links/?account={plan.account_id}")
    assert listing.json()["count"] == 1
    assert token not in listing.content.decode() and "token" not in listing.json()["results"][0]
    assert token not in client.get(f"/api/v1/shared-links/{link.pk}/").content.decode()


@pytest.mark.urls("retain.config.urls")
def test_a_link_made_through_another_host_starts_at_the_site_and_an_outsider_neither_makes_nor_sees_one(
    plan: SuccessPlan, carol: Member, olga: Member, client_for: ClientFor, settings: Any
) -> None:
    settings.SITE_URL, settings.ALLOWED_HOSTS = "https://cs.example.com", ["*"]
    client = client_for(carol)
    body = {"account": plan.account_id}
    response = client.post("/api/v1/shared-links/", body, format="json", HTTP_HOST="attacker.example")
    assert response.status_code == 201, response.json()
    assert response.json()["url"] == f"https://cs.example.com/p/{response.json()['token']}/"
    outsider = client_for(olga)
    # Another workspace's account is not one the outsider can name; the link made above is not found.
    refused = outsider.post("/api/v1/shared-links/", body, format="json")
    assert refused.status_code == 400 and "account" in refused.json()["errors"]
    assert outsider.get(f"/api/v1/shared-links/{response.json()['id']}/").status_code == 404
    assert SharedLink.objects.count() == 1


@pytest.mark.urls("retain.config.urls")
def test_a_revoked_link_stops_opening_the_page(plan: SuccessPlan, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    body = client.post("/api/v1/shared-links/", {"account": plan.account_id}, format="json").json()
    response = client.post(f"/api/v1/shared-links/{body['id']}/revoke/")
    assert response.status_code == 200, response.json()
    assert response.json()["is_live"] is False and response.json()["revoked_at"] is not None
    assert Client().get(f"/p/{body['token']}/").status_code == 404
    assert client.get("/api/v1/shared-links/?is_live=true").json()["count"] == 0
    assert client.get("/api/v1/shared-links/?is_live=false").json()["count"] == 1
    assert history(plan)[-2:] == [f"Shared link created, expires {body['expires_at'][:10]}", "Shared link revoked"]


def test_link_errors_name_the_field(account: Account, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    for body, field in (
        ({"account": account.pk, "expires_in_days": 0}, "expires_in_days"),
        ({"account": account.pk, "expires_in_days": 366}, "expires_in_days"),
        ({"account": account.pk, "purpose": "everything"}, "purpose"),
        ({}, "account"),
    ):
        response = client.post("/api/v1/shared-links/", body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], body
    assert not SharedLink.objects.exists()


def test_links_require_rw_access(account: Account, vic: Member, dave: Member, client_for: ClientFor) -> None:
    link, _ = services.shared_link_create(account=account, actor=None)
    for member in (vic, dave):
        client = client_for(member)
        assert client.post("/api/v1/shared-links/", {"account": account.pk}, format="json").status_code == 403
        assert client.post(f"/api/v1/shared-links/{link.pk}/revoke/").status_code == 403
        assert client.get("/api/v1/shared-links/").json()["count"] == 1  # reading is every member's
    link.refresh_from_db()
    assert link.revoked_at is None and SharedLink.objects.count() == 1


def test_outsider_gets_404_for_links(account: Account, olga: Member, client_for: ClientFor) -> None:
    link, _ = services.shared_link_create(account=account, actor=None)
    client = client_for(olga)
    assert client.get("/api/v1/shared-links/").json()["count"] == 0
    assert client.get(f"/api/v1/shared-links/{link.pk}/").status_code == 404
    assert client.post(f"/api/v1/shared-links/{link.pk}/revoke/").status_code == 404
    response = client.post("/api/v1/shared-links/", {"account": account.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    link.refresh_from_db()
    assert link.revoked_at is None and SharedLink.objects.count() == 1


def test_the_commitment_list_costs_the_same_queries_however_many_owners(
    plan: SuccessPlan, workspace: Workspace, carol: Member, mark: Member, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    client.get("/api/v1/commitments/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/commitments/").json()["count"] == 1
    for member in (carol, mark):
        services.commitment_add(plan=plan, actor=member, description="Review", due_on=DUE, owner_member=member)
    with CaptureQueriesContext(connection) as three:
        assert [row["owner_name"] for row in client.get("/api/v1/commitments/").json()["results"]] == [
            "Jane Doe", "Carol", "Mark",
        ]  # fmt: skip
    assert len(three) == len(one)
