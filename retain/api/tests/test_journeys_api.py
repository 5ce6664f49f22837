"""/api/v1/journey-templates/, journeys/, milestones/, barriers/ and accounts/{id}/stage/.

Readers see their workspace; viewers get 403 on writes; a CSM works its own book only; outsiders
get 404 for every object and 400 for ids of this workspace passed in a body.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.services import barrier_add, journey_start, template_publish
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")

ORIENTED_ITEMS = ["Kick-off call held", "Admins trained", "Goals agreed"]


def checklist(key: str = "kick-off", week: int = 1) -> dict[str, Any]:
    return {"key": key, "name": key.title(), "target_week": week, "kind": "checklist", "items": ["Call held"]}


@pytest.fixture
def journey(account: Account) -> Journey:
    """Globex on the critical path (the default template for enterprise accounts), started 10 days ago."""
    return journey_start(account=account, started_on=workspace_today(account.workspace) - dt.timedelta(days=10))


@pytest.fixture
def oriented(journey: Journey) -> MilestoneProgress:
    return MilestoneProgress.objects.get(journey=journey, key="oriented")


@pytest.fixture
def barrier(oriented: MilestoneProgress, carol: Member) -> Barrier:
    return barrier_add(progress=oriented, kind="our_issue", title="CRM connector bug", owner=carol)


@pytest.fixture
def foreign_account(other_workspace: Workspace) -> Account:
    return account_services.account_create(
        workspace=other_workspace, actor=None, via="test", name="Initech", tier="enterprise"
    )


# Templates -----------------------------------------------------------------------------------------


def test_members_read_the_templates_with_their_milestones(journey: Journey, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    body = client.get("/api/v1/journey-templates/?is_current=true").json()
    keys = {row["key"] for row in body["results"]}
    assert "critical-path" in keys
    template = journey.template
    row = client.get(f"/api/v1/journey-templates/{template.pk}/").json()
    assert (row["key"], row["version"], row["is_current"]) == ("critical-path", 1, True)
    assert [m["key"] for m in row["milestones"]][:2] == ["technical-setup", "oriented"]


def test_a_manager_publishes_a_new_version(journey: Journey, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post(
        "/api/v1/journey-templates/",
        {"key": "critical-path", "name": "Critical path", "milestones": [checklist()], "priority": 5},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["version"], response.json()["is_current"]) == (2, True)
    journey.template.refresh_from_db()
    assert not journey.template.is_current
    assert Journey.objects.get(pk=journey.pk).template.version == 1  # journeys under way keep theirs


def test_only_managers_and_admins_publish_templates(
    workspace: Workspace, carol: Member, vic: Member, client_for: ClientFor
) -> None:
    body = {"key": "light", "name": "Light", "milestones": [checklist()]}
    for member in (carol, vic):
        assert client_for(member).post("/api/v1/journey-templates/", body, format="json").status_code == 403
    assert not JourneyTemplate.objects.filter(workspace=workspace, key="light").exists()


def test_template_errors_name_the_path_of_the_milestone_field(
    workspace: Workspace, alice: Member, client_for: ClientFor
) -> None:
    bad_criteria = {
        "key": "active",
        "name": "Active",
        "target_week": 4,
        "kind": "data",
        "criteria": {"attr": "events.Moon Landed.seen", "op": "eq", "value": True},
    }
    response = client_for(alice).post(
        "/api/v1/journey-templates/",
        {"key": "light", "name": "Light", "milestones": [checklist(), checklist("oriented", 0), bad_criteria]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "milestones[1].target_week" in errors
    assert any(name.startswith("milestones[2].criteria") for name in errors), errors
    assert not JourneyTemplate.objects.filter(workspace=workspace, key="light").exists()


def test_a_template_key_must_be_a_slug(alice: Member, client_for: ClientFor) -> None:
    response = client_for(alice).post(
        "/api/v1/journey-templates/", {"key": "Not a slug!", "name": "X", "milestones": [checklist()]}, format="json"
    )
    assert response.status_code == 400 and "key" in response.json()["errors"]


def test_outsider_gets_404_for_templates(journey: Journey, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/journey-templates/").json()["count"] == 0
    assert client.get(f"/api/v1/journey-templates/{journey.template_id}/").status_code == 404


# Journeys ------------------------------------------------------------------------------------------


def test_a_journey_shows_its_milestones_in_order(journey: Journey, vic: Member, client_for: ClientFor) -> None:
    body = client_for(vic).get(f"/api/v1/journeys/{journey.pk}/").json()
    assert (body["account_name"], body["template_key"], body["template_version"]) == ("Globex", "critical-path", 1)
    first, second = body["milestones"][:2]
    assert (first["key"], first["kind"], first["items"]) == ("technical-setup", "data", [])
    assert (second["key"], second["kind"], second["items"]) == ("oriented", "checklist", ORIENTED_ITEMS)
    assert second["due_on"] == (journey.started_on + dt.timedelta(weeks=2)).isoformat()
    assert {"status", "completed_on", "evidence", "ticks"} <= set(second)


def test_journeys_filter_by_account_template_and_milestone_status(
    journey: Journey, foreign_account: Account, vic: Member, client_for: ClientFor
) -> None:
    MilestoneProgress.objects.filter(journey=journey, key="oriented").update(status="stuck")
    client = client_for(vic)
    assert client.get(f"/api/v1/journeys/?account={journey.account_id}").json()["count"] == 1
    assert client.get(f"/api/v1/journeys/?template={journey.template_id}").json()["count"] == 1
    assert client.get("/api/v1/journeys/?status=stuck").json()["count"] == 1
    assert client.get("/api/v1/journeys/?status=done_late").json()["count"] == 0
    response = client.get("/api/v1/journeys/?status=sideways")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_the_owner_starts_a_journey_and_it_is_evaluated_at_once(
    account: Account, carol: Member, client_for: ClientFor
) -> None:
    started = workspace_today(account.workspace) - dt.timedelta(days=30)
    response = client_for(carol).post(
        "/api/v1/journeys/", {"account": account.pk, "started_on": started.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["template_key"] == "critical-path" and body["started_on"] == started.isoformat()
    statuses = {m["key"]: m["status"] for m in body["milestones"]}
    assert statuses["technical-setup"] == "stuck"  # due in week 1, more than 14 days ago
    assert statuses["renewal"] == "not_started"


def test_restarting_replaces_the_journey(journey: Journey, mark: Member, client_for: ClientFor) -> None:
    light = template_publish(workspace=journey.workspace, key="light", name="Light", milestones=[checklist()])
    response = client_for(mark).post(
        "/api/v1/journeys/", {"account": journey.account_id, "template": light.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert [m["key"] for m in response.json()["milestones"]] == ["kick-off"]
    assert Journey.objects.filter(account_id=journey.account_id).get().template == light


def test_starting_needs_rw_access_to_the_account(
    account: Account, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        response = client_for(member).post("/api/v1/journeys/", {"account": account.pk}, format="json")
        assert response.status_code == 403
    assert not Journey.objects.filter(account=account).exists()


def test_another_workspaces_ids_in_the_body_read_as_missing(
    account: Account, foreign_account: Account, olga: Member, carol: Member, client_for: ClientFor
) -> None:
    foreign = template_publish(workspace=foreign_account.workspace, key="x", name="X", milestones=[checklist()])
    response = client_for(carol).post(
        "/api/v1/journeys/", {"account": account.pk, "template": foreign.pk}, format="json"
    )
    assert response.status_code == 400 and "template" in response.json()["errors"]
    response = client_for(olga).post("/api/v1/journeys/", {"account": account.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    assert not Journey.objects.exists()


def test_outsider_gets_404_for_journeys(journey: Journey, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/journeys/").json()["count"] == 0
    assert client.get(f"/api/v1/journeys/{journey.pk}/").status_code == 404


def test_the_journey_list_costs_the_same_queries_however_many_journeys(
    workspace: Workspace, journey: Journey, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    client.get("/api/v1/journeys/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/journeys/").json()["count"] == 1
    for i in range(3):
        other = account_services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Extra {i}", tier="community"
        )
        journey_start(account=other)
    with CaptureQueriesContext(connection) as four:
        assert client.get("/api/v1/journeys/").json()["count"] == 4
    assert len(four) == len(one)


# Milestones ----------------------------------------------------------------------------------------


def test_milestones_filter_by_account_status_and_key(
    journey: Journey, oriented: MilestoneProgress, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    assert client.get(f"/api/v1/milestones/?account={journey.account_id}").json()["count"] == 8
    body = client.get("/api/v1/milestones/?key=oriented").json()
    assert [row["id"] for row in body["results"]] == [oriented.pk]
    assert client.get("/api/v1/milestones/?status=done").json()["count"] == 0
    assert client.get(f"/api/v1/milestones/{oriented.pk}/").json()["name"] == "Oriented"


def test_the_owner_ticks_a_checklist_until_the_milestone_is_done(
    oriented: MilestoneProgress, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    url = f"/api/v1/milestones/{oriented.pk}/tick/"
    body = client.post(url, {"item": "Kick-off call held"}, format="json").json()
    assert list(body["ticks"]) == ["Kick-off call held"] and body["status"] == "on_track"
    assert body["ticks"]["Kick-off call held"]["by"] == carol.pk
    for item in ORIENTED_ITEMS[1:]:
        response = client.post(url, {"item": item, "ticked": True}, format="json")
    body = response.json()
    assert (body["status"], body["completed_on"]) == ("done", workspace_today(oriented.workspace).isoformat())
    body = client.post(url, {"item": "Admins trained", "ticked": False}, format="json").json()
    assert body["completed_on"] is None and "Admins trained" not in body["ticks"]


def test_a_tick_names_the_item_when_it_is_wrong(
    journey: Journey, oriented: MilestoneProgress, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post(f"/api/v1/milestones/{oriented.pk}/tick/", {"item": "Cake eaten"}, format="json")
    assert response.status_code == 400 and "item" in response.json()["errors"]
    data = MilestoneProgress.objects.get(journey=journey, key="technical-setup")
    response = client.post(f"/api/v1/milestones/{data.pk}/tick/", {"item": "Blog migrated"}, format="json")
    assert response.status_code == 400 and "completes from data" in response.json()["errors"]["item"][0]
    response = client.post(f"/api/v1/milestones/{oriented.pk}/tick/", {}, format="json")
    assert response.status_code == 400 and "item" in response.json()["errors"]


def test_ticking_requires_rw_access(
    oriented: MilestoneProgress, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        response = client_for(member).post(
            f"/api/v1/milestones/{oriented.pk}/tick/", {"item": "Goals agreed"}, format="json"
        )
        assert response.status_code == 403
    oriented.refresh_from_db()
    assert oriented.ticks == {}


def test_outsider_gets_404_for_milestones(oriented: MilestoneProgress, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/milestones/").json()["count"] == 0
    assert client.get(f"/api/v1/milestones/{oriented.pk}/").status_code == 404
    response = client.post(f"/api/v1/milestones/{oriented.pk}/tick/", {"item": "Goals agreed"}, format="json")
    assert response.status_code == 404


# Barriers ------------------------------------------------------------------------------------------


def test_the_owner_records_a_barrier_owned_by_a_contact(
    oriented: MilestoneProgress, account: Account, carol: Member, client_for: ClientFor
) -> None:
    jane = account_services.contact_create(account=account, actor=None, via="test", email="jane@globex.example")
    response = client_for(carol).post(
        "/api/v1/barriers/",
        {"milestone": oriented.pk, "kind": "customer_challenge", "title": "No admin time", "owner_contact": jane.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["milestone_name"], body["owner_contact"], body["owner"], body["state"]) == (
        "Oriented", jane.pk, None, "open",
    )  # fmt: skip
    assert body["account"] == account.pk


def test_a_barrier_has_exactly_one_owner(oriented: MilestoneProgress, carol: Member, client_for: ClientFor) -> None:
    jane = account_services.contact_create(
        account=oriented.account, actor=None, via="test", email="jane@globex.example"
    )
    client = client_for(carol)
    base = {"milestone": oriented.pk, "kind": "our_issue", "title": "CRM connector bug"}
    for owners in ({}, {"owner": carol.pk, "owner_contact": jane.pk}):
        response = client.post("/api/v1/barriers/", {**base, **owners}, format="json")
        assert response.status_code == 400 and "owner" in response.json()["errors"]
    response = client.post("/api/v1/barriers/", {**base, "kind": "weather", "owner": carol.pk}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert not Barrier.objects.exists()


def test_a_barrier_refuses_owners_and_milestones_from_elsewhere(
    oriented: MilestoneProgress, foreign_account: Account, olga: Member, carol: Member, client_for: ClientFor
) -> None:
    stranger = account_services.contact_create(
        account=foreign_account, actor=None, via="test", email="bob@initech.example"
    )
    neighbour = account_services.account_create(workspace=oriented.workspace, actor=None, via="test", name="Hooli")
    their_contact = account_services.contact_create(account=neighbour, actor=None, via="test", email="g@hooli.example")
    client = client_for(carol)
    base = {"milestone": oriented.pk, "kind": "our_issue", "title": "CRM connector bug"}
    for contact, field in ((stranger, "owner_contact"), (their_contact, "owner_contact")):
        response = client.post("/api/v1/barriers/", {**base, "owner_contact": contact.pk}, format="json")
        assert response.status_code == 400 and field in response.json()["errors"]
    response = client.post("/api/v1/barriers/", {**base, "owner": olga.pk}, format="json")
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    response = client_for(olga).post("/api/v1/barriers/", {**base, "owner": olga.pk}, format="json")
    assert response.status_code == 400 and "milestone" in response.json()["errors"]
    assert not Barrier.objects.exists()


def test_barriers_filter_by_state_kind_and_account(
    barrier: Barrier, oriented: MilestoneProgress, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    assert client.get(f"/api/v1/barriers/?account={oriented.account_id}&state=open").json()["count"] == 1
    assert client.get("/api/v1/barriers/?state=resolved").json()["count"] == 0
    assert client.get("/api/v1/barriers/?kind=customer_challenge").json()["count"] == 0
    assert client.get(f"/api/v1/barriers/?milestone={oriented.pk}&kind=our_issue").json()["count"] == 1
    assert client.get(f"/api/v1/barriers/{barrier.pk}/").json()["title"] == "CRM connector bug"


def test_the_owner_resolves_a_barrier_once(barrier: Barrier, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    body = client.post(f"/api/v1/barriers/{barrier.pk}/resolve/").json()
    assert (body["state"], body["resolved_on"]) == ("resolved", workspace_today(barrier.workspace).isoformat())
    response = client.post(f"/api/v1/barriers/{barrier.pk}/resolve/")
    assert response.status_code == 400 and "state" in response.json()["errors"]


def test_barriers_require_rw_access(
    barrier: Barrier, oriented: MilestoneProgress, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    for member in (vic, dave):
        client = client_for(member)
        assert client.post(f"/api/v1/barriers/{barrier.pk}/resolve/").status_code == 403
        response = client.post(
            "/api/v1/barriers/",
            {"milestone": oriented.pk, "kind": "our_issue", "title": "Slow", "owner": member.pk},
            format="json",
        )
        assert response.status_code == 403
    assert Barrier.objects.get().state == "open"


def test_outsider_gets_404_for_barriers(barrier: Barrier, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/barriers/").json()["count"] == 0
    assert client.get(f"/api/v1/barriers/{barrier.pk}/").status_code == 404
    assert client.post(f"/api/v1/barriers/{barrier.pk}/resolve/").status_code == 404


# Lifecycle stage -----------------------------------------------------------------------------------


def test_a_stage_move_records_who_and_why(account: Account, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).post(
        f"/api/v1/accounts/{account.pk}/stage/", {"stage": "adoption", "reason": "initial value reached"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["stage"], response.json()["name"]) == ("adoption", "Globex")
    entry = TimelineEntry.objects.filter(account=account, kind=EntryKind.STAGE_CHANGED).latest("id")
    assert (entry.actor, entry.actor_label, entry.data["reason"]) == (carol, "api", "initial value reached")


def test_a_stage_move_needs_a_known_stage_and_a_reason(account: Account, carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    url = f"/api/v1/accounts/{account.pk}/stage/"
    for body, field in (
        ({"stage": "adoption"}, "reason"),
        ({"stage": "adoption", "reason": "   "}, "reason"),
        ({"stage": "nirvana", "reason": "why not"}, "stage"),
    ):
        response = client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], body
    account.refresh_from_db()
    assert account.stage == "onboarding"


def test_a_stage_move_requires_rw_access(
    account: Account, vic: Member, dave: Member, olga: Member, client_for: ClientFor
) -> None:
    body = {"stage": "adoption", "reason": "because"}
    for member in (vic, dave):
        assert client_for(member).post(f"/api/v1/accounts/{account.pk}/stage/", body, format="json").status_code == 403
    assert client_for(olga).post(f"/api/v1/accounts/{account.pk}/stage/", body, format="json").status_code == 404
    account.refresh_from_db()
    assert account.stage == "onboarding"


def test_a_stage_change_through_patch_is_a_lifecycle_move_with_its_reason(
    account: Account, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    url = f"/api/v1/accounts/{account.pk}/"
    response = client.patch(url, {"stage": "adoption", "industry": "Energy"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    account.refresh_from_db()
    assert (account.stage, account.industry) == ("onboarding", "")  # nothing half written

    response = client.patch(
        url, {"stage": "adoption", "industry": "Energy", "reason": "first workflow live"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["stage"], response.json()["industry"]) == ("adoption", "Energy")
    assert "reason" not in response.json()
    entry = TimelineEntry.objects.filter(account=account, kind=EntryKind.STAGE_CHANGED).latest("id")
    assert (entry.actor, entry.actor_label, entry.data["reason"]) == (carol, "api", "first workflow live")


def test_a_patch_that_keeps_the_stage_needs_no_reason(account: Account, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(
        f"/api/v1/accounts/{account.pk}/", {"stage": "onboarding", "industry": "Energy"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert not TimelineEntry.objects.filter(account=account, kind=EntryKind.STAGE_CHANGED).exists()


def test_the_milestone_and_barrier_lists_cost_the_same_queries_however_many_rows(
    workspace: Workspace, barrier: Barrier, carol: Member, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    client.get("/api/v1/milestones/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as milestones_one:
        assert client.get("/api/v1/milestones/").json()["count"] == 8
    with CaptureQueriesContext(connection) as barriers_one:
        assert client.get("/api/v1/barriers/").json()["count"] == 1
    for i in range(2):
        other = account_services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Extra {i}", tier="enterprise"
        )
        progress = journey_start(account=other).progress.get(key="technical-setup")
        barrier_add(progress=progress, kind="customer_challenge", title="Blog migration is slow", owner=carol)
    with CaptureQueriesContext(connection) as milestones_three:
        assert client.get("/api/v1/milestones/").json()["count"] == 24
    with CaptureQueriesContext(connection) as barriers_three:
        assert client.get("/api/v1/barriers/").json()["count"] == 3
    assert len(milestones_three) == len(milestones_one)
    assert len(barriers_three) == len(barriers_one)
