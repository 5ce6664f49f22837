"""The success plan page and the account page's plan card.

Every member reads; whoever may edit the account (its CSM Carol, managers, admins) edits; the viewer
(Vic) and a CSM outside the book (Dave) get 403 on writes; the outsider (Olga) gets 404 everywhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.plans import services
from retain.plans.models import Commitment, Goal, Objective, PlanEvent, SharedLink, SuccessMetric, SuccessPlan
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def plan_url(account: Account, slug: str = "acme") -> str:
    return reverse("success-plan", args=[slug, account.pk])


@pytest.fixture
def objective(account: Account, carol: Member) -> Objective:
    plan = services.plan_get_or_create(account=account, actor=carol)
    goal = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    return services.objective_add(goal=goal, actor=carol, title="Leads flowing")


@pytest.fixture
def contact(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", first_name="Jane", last_name="Doe", email="jane@globex.example"
    )


def test_every_member_reads_the_plan(objective: Objective, account: Account, vic: Member) -> None:
    response = client_for(vic).get(plan_url(account))
    assert response.status_code == 200
    assert "Double inbound leads" in response.content.decode()
    assert "Add goal" not in response.content.decode()


def test_outsider_gets_404(account: Account, olga: Member) -> None:
    client = client_for(olga)
    assert client.get(plan_url(account)).status_code == 404
    assert client.post(plan_url(account), {"action": "goal", "title": "X"}).status_code == 404
    assert client.get(plan_url(account, "other")).status_code == 404
    assert not SuccessPlan.objects.exists()


def test_it_requires_rw_access(account: Account, vic: Member, dave: Member) -> None:
    for member in (vic, dave):
        assert client_for(member).post(plan_url(account), {"action": "goal", "title": "X"}).status_code == 403
    assert not Goal.objects.exists()


def test_the_csm_builds_the_plan_tree(account: Account, carol: Member) -> None:
    client = client_for(carol)
    assert (
        client.post(plan_url(account), {"action": "vision", "vision": "Own the market", "status": "active"}).status_code
        == 302
    )
    client.post(plan_url(account), {"action": "goal", "title": "Double inbound leads"})
    goal = Goal.objects.get()
    client.post(plan_url(account), {"action": "objective", "goal": goal.pk, "title": "Leads flowing"})
    objective = Objective.objects.get()
    response = client.post(
        plan_url(account),
        {
            "action": "metric",
            "objective": objective.pk,
            "name": "Logins",
            "start_value": "0",
            "target_value": "40",
            "measure_kind": "logins",
        },
    )
    assert response.status_code == 302
    metric = SuccessMetric.objects.get()
    assert metric.measure_kind == "logins" and metric.target_value == D(40)
    assert SuccessPlan.objects.get().vision == "Own the market"
    page = client.get(plan_url(account)).content.decode()
    assert "Leads flowing" in page and "from usage (logins)" in page


def test_a_manager_edits_any_account(account: Account, mark: Member) -> None:
    assert client_for(mark).post(plan_url(account), {"action": "goal", "title": "Faster"}).status_code == 302
    assert Goal.objects.get().title == "Faster"


def test_a_typed_metric_value_is_updated(objective: Objective, account: Account, carol: Member) -> None:
    metric = services.metric_add(objective=objective, actor=carol, name="Leads", start_value=D(0), target_value=D(10))
    client_for(carol).post(plan_url(account), {"action": "metric-value", "metric": metric.pk, "current_value": "4"})
    metric.refresh_from_db()
    assert metric.current_value == D(4)


def test_commitments_are_added_for_a_contact_or_a_member(
    objective: Objective, account: Account, carol: Member, contact: Contact
) -> None:
    client = client_for(carol)
    due = dt.date.today().isoformat()
    client.post(
        plan_url(account),
        {"action": "commitment", "description": "Migrate the blog", "owner": f"contact-{contact.pk}", "due_on": due},
    )
    client.post(
        plan_url(account),
        {"action": "commitment", "description": "Set up the CRM", "owner": f"member-{carol.pk}", "due_on": due},
    )
    rows = {c.description: c for c in Commitment.objects.all()}
    assert rows["Migrate the blog"].owner_contact_id == contact.pk and rows["Migrate the blog"].owner_member_id is None
    assert rows["Set up the CRM"].owner_member_id == carol.pk and rows["Set up the CRM"].owner_contact_id is None
    commitment = rows["Set up the CRM"]
    client.post(plan_url(account), {"action": "commitment-status", "commitment": commitment.pk, "status": "done"})
    commitment.refresh_from_db()
    assert commitment.status == "done"


def test_a_commitment_without_an_owner_is_refused_naming_the_field(
    objective: Objective, account: Account, carol: Member
) -> None:
    response = client_for(carol).post(
        plan_url(account), {"action": "commitment", "description": "X", "owner": "", "due_on": "2030-01-01"}
    )
    assert response.status_code == 400
    assert "owner" in response.content.decode()
    assert not Commitment.objects.exists()


def test_objects_of_another_workspace_are_404(
    account: Account, carol: Member, other_workspace: Workspace, olga: Member
) -> None:
    initech = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech")
    plan = services.plan_get_or_create(account=initech, actor=olga)
    goal = services.goal_add(plan=plan, actor=olga, title="Theirs")
    link, _ = services.shared_link_create(account=initech, actor=olga)
    client = client_for(carol)
    assert client.post(plan_url(account), {"action": "objective", "goal": goal.pk, "title": "X"}).status_code == 404
    assert client.post(plan_url(account), {"action": "link-revoke", "link": link.pk}).status_code == 404
    assert client.post(plan_url(account), {"action": "objective", "goal": "abc", "title": "X"}).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None
    assert not Objective.objects.exists()


def test_the_csm_creates_a_link_shown_once_and_revokes_it(account: Account, carol: Member) -> None:
    client = client_for(carol)
    response = client.post(plan_url(account), {"action": "link", "purpose": "success_plan", "days": "14"})
    assert response.status_code == 200
    html = response.content.decode()
    link = SharedLink.objects.get()
    token = html.split("/p/")[1].split("/")[0]
    assert Client().get(reverse("shared-plan", args=[token])).status_code == 200
    client.post(plan_url(account), {"action": "link-revoke", "link": link.pk})
    assert Client().get(reverse("shared-plan", args=[token])).status_code == 404
    assert PlanEvent.objects.filter(summary="Shared link revoked").exists()


def test_viewers_see_no_links_and_cannot_create_one(account: Account, vic: Member) -> None:
    client = client_for(vic)
    assert "Shared with the customer" not in client.get(plan_url(account)).content.decode()
    assert (
        client.post(plan_url(account), {"action": "link", "purpose": "success_plan", "days": "14"}).status_code == 403
    )
    assert not SharedLink.objects.exists()


def test_the_account_page_shows_the_plan_card(
    objective: Objective, account: Account, carol: Member, vic: Member
) -> None:
    services.metric_add(
        objective=objective, actor=carol, name="Leads", start_value=D(0), target_value=D(10), current_value=D(5)
    )
    html = client_for(vic).get(reverse("account", args=["acme", account.pk])).content.decode()
    assert 'id="success-plan"' in html
    assert "progress 50%" in html
    assert plan_url(account) in html


def test_the_account_page_without_a_plan_invites_one(account: Account, carol: Member) -> None:
    html = client_for(carol).get(reverse("account", args=["acme", account.pk])).content.decode()
    assert "No success plan yet." in html and "Write a plan" in html


def test_the_plan_page_runs_the_same_number_of_queries_however_big_the_plan(
    objective: Objective, account: Account, carol: Member, contact: Contact
) -> None:
    client = client_for(carol)
    plan = objective.goal.plan

    def grow(n: int) -> None:
        for i in range(n):
            goal = services.goal_add(plan=plan, actor=carol, title=f"Goal {i}")
            obj = services.objective_add(goal=goal, actor=carol, title=f"Objective {i}")
            services.metric_add(objective=obj, actor=carol, name=f"Metric {i}", start_value=D(0), target_value=D(5))
            services.commitment_add(
                plan=plan, actor=carol, description=f"Ours {i}", due_on=dt.date.today(), owner_member=carol
            )
            services.commitment_add(
                plan=plan, actor=carol, description=f"Theirs {i}", due_on=dt.date.today(), owner_contact=contact
            )
            services.shared_link_create(account=account, actor=carol)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(plan_url(account)).status_code == 200
        return len(queries)

    grow(1)
    small = count()
    grow(5)
    assert count() == small


def test_the_csm_removes_items_and_the_history_keeps_their_names(
    objective: Objective, account: Account, carol: Member, contact: Contact
) -> None:
    metric = services.metric_add(objective=objective, actor=carol, name="Leads", start_value=D(0), target_value=D(9))
    commitment = services.commitment_add(
        plan=objective.goal.plan, actor=carol, description="Kick-off", due_on=dt.date.today(), owner_contact=contact
    )
    client = client_for(carol)
    for kind, pk in (("metric", metric.pk), ("commitment", commitment.pk), ("goal", objective.goal_id)):
        assert client.post(plan_url(account), {"action": "remove", "kind": kind, "pk": pk}).status_code == 302
    assert not Goal.objects.exists() and not Objective.objects.exists() and not Commitment.objects.exists()
    summaries = set(PlanEvent.objects.values_list("summary", flat=True))
    assert {"Metric removed: Leads", "Commitment removed: Kick-off", "Goal removed: Double inbound leads"} <= summaries


def test_removing_needs_rw_access_and_a_known_kind(
    objective: Objective, account: Account, vic: Member, carol: Member
) -> None:
    remove = {"action": "remove", "kind": "goal", "pk": objective.goal_id}
    assert client_for(vic).post(plan_url(account), remove).status_code == 403
    assert client_for(carol).post(plan_url(account), {**remove, "kind": "plan"}).status_code == 404
    assert Goal.objects.exists()


def test_a_metric_for_an_objective_of_another_plan_is_refused(
    account: Account, carol: Member, other_workspace: Workspace, olga: Member
) -> None:
    services.plan_get_or_create(account=account, actor=carol)
    initech = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech")
    plan = services.plan_get_or_create(account=initech, actor=olga)
    theirs = services.objective_add(goal=services.goal_add(plan=plan, actor=olga, title="G"), actor=olga, title="O")
    response = client_for(carol).post(
        plan_url(account),
        {"action": "metric", "objective": theirs.pk, "name": "X", "start_value": "0", "target_value": "1"},
    )
    assert response.status_code == 400
    assert not SuccessMetric.objects.exists()
