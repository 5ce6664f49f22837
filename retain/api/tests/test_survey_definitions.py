"""POST and PATCH /api/v1/surveys/: managers and admins define surveys; CSMs and viewers get 403.

The outsider Olga gets 404 for this workspace's surveys and cannot point hers at its segments.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact, Segment
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.surveys import services
from retain.surveys.models import Invitation, Survey
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def definition(**changes: Any) -> dict[str, Any]:
    return {"name": "Renewal NPS", "kind": "nps", "schedule_kind": "before_renewal", "schedule_days": 120, **changes}


@pytest.fixture
def nps(workspace: Workspace, mark: Member) -> Survey:
    return services.survey_create(
        workspace=workspace, actor=mark, name="Relationship NPS", kind="nps", schedule_kind="recurring",
        schedule_days=182,
    )  # fmt: skip


@pytest.fixture
def strategic(workspace: Workspace, mark: Member) -> Segment:
    return account_services.segment_create(
        workspace=workspace, actor=mark, name="Enterprise", criteria={"tier": ["enterprise"]}
    )


# Who may define surveys --------------------------------------------------------------------------


def test_outsider_gets_404(nps: Survey, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.patch(f"/api/v1/surveys/{nps.pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert client.get(f"/api/v1/surveys/{nps.pk}/").status_code == 404
    nps.refresh_from_db()
    assert nps.name == "Relationship NPS"


def test_outsider_cannot_use_this_workspaces_segment(strategic: Segment, olga: Member, client_for: ClientFor) -> None:
    response = client_for(olga).post("/api/v1/surveys/", definition(segment=strategic.pk), format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"segment": [f"no segment with id {strategic.pk} in this workspace"]}}
    assert not Survey.objects.exists()


@pytest.mark.parametrize("who", ["vic", "carol"])
def test_it_requires_a_manager(nps: Survey, who: str, request: pytest.FixtureRequest, client_for: ClientFor) -> None:
    client = client_for(request.getfixturevalue(who))
    response = client.post("/api/v1/surveys/", definition(), format="json")
    assert response.status_code == 403
    assert list(response.json()["errors"]) == ["detail"]
    assert client.patch(f"/api/v1/surveys/{nps.pk}/", {"is_active": False}, format="json").status_code == 403
    nps.refresh_from_db()
    assert nps.is_active
    assert Survey.objects.count() == 1


# Creating and editing ----------------------------------------------------------------------------


def test_a_manager_creates_a_before_renewal_survey_that_the_sweep_plans(
    account: Account, jane: Contact, strategic: Segment, mark: Member, client_for: ClientFor
) -> None:
    account_services.contact_create(
        account=account, actor=None, via="test", email="bob@globex.example", first_name="Bob", role="user"
    )
    response = client_for(mark).post(
        "/api/v1/surveys/", definition(segment=strategic.pk, roles=["champion"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["segment"], body["roles"], body["schedule_days"]) == (strategic.pk, ["champion"], 120)
    assert (body["scale_min"], body["scale_max"], body["fatigue_limit"], body["fatigue_window_days"]) == (0, 10, 2, 365)
    assert body["question"] == "How likely are you to recommend Acme CS to a friend or colleague?"
    survey = Survey.objects.get(pk=body["id"])
    assert (survey.created_by, survey.segment, survey.roles) == (mark, strategic, ["champion"])
    # Globex (enterprise) renews in 60 days, within the 120: its champion is asked, its user is not.
    assert services.invitations_plan(survey=survey) == 1
    invitation = Invitation.objects.get(survey=survey)
    term_end = workspace_today(account.workspace) + dt.timedelta(days=60)
    assert (invitation.contact, invitation.occurrence) == (jane, f"renewal:{term_end.isoformat()}")


def test_an_admin_changes_a_survey_in_part(nps: Survey, alice: Member, client_for: ClientFor) -> None:
    client = client_for(alice)
    response = client.patch(
        f"/api/v1/surveys/{nps.pk}/",
        {"schedule_kind": "after_event", "trigger_kind": "renewal_window_opened", "fatigue_limit": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["trigger_kind"], response.json()["fatigue_limit"]) == ("renewal_window_opened", 1)
    nps.refresh_from_db()
    assert (nps.name, nps.schedule_kind, nps.trigger_kind, nps.fatigue_limit) == (
        "Relationship NPS", "after_event", "renewal_window_opened", 1
    )  # fmt: skip
    assert client.patch(f"/api/v1/surveys/{nps.pk}/", {"segment": None}, format="json").status_code == 200


def test_a_manual_csat_needs_only_a_name_kind_and_schedule(mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post(
        "/api/v1/surveys/", {"name": "Support CSAT", "kind": "csat", "schedule_kind": "manual"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["scale_min"], response.json()["scale_max"]) == (1, 5)
    assert response.json()["question"] == "How satisfied are you with Acme CS?"


# Bad input names the field -----------------------------------------------------------------------


def test_before_renewal_without_days_is_refused_naming_the_field(mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post("/api/v1/surveys/", definition(schedule_days=None), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["schedule_days"]
    assert "is required" in response.json()["errors"]["schedule_days"][0]
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "ces"}, "kind"),
        ({"name": ""}, "name"),
        ({"schedule_kind": "hourly"}, "schedule_kind"),
        ({"schedule_kind": "after_event"}, "trigger_kind"),
        ({"roles": ["cfo"]}, "roles.0"),
        ({"segment": 999999}, "segment"),
        ({"fatigue_limit": 0}, "fatigue_limit"),
        ({"validity_days": "soon"}, "validity_days"),
        ({"schedule_days": -5}, "schedule_days"),
        ({"name": "Relationship NPS"}, "name"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    nps: Survey, mark: Member, client_for: ClientFor, changes: dict[str, Any], field: str
) -> None:
    response = client_for(mark).post("/api/v1/surveys/", definition(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert Survey.objects.count() == 1


def test_missing_required_fields_are_named(mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post("/api/v1/surveys/", {}, format="json")
    assert response.status_code == 400
    assert {"name", "kind", "schedule_kind"} <= set(response.json()["errors"])


def test_a_patch_that_breaks_the_schedule_is_refused_and_changes_nothing(
    nps: Survey, mark: Member, client_for: ClientFor
) -> None:
    response = client_for(mark).patch(
        f"/api/v1/surveys/{nps.pk}/", {"name": "Renamed", "schedule_days": None}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["schedule_days"]
    nps.refresh_from_db()
    assert (nps.name, nps.schedule_days) == ("Relationship NPS", 182)


def test_the_kind_of_an_answered_survey_cannot_change(
    nps: Survey, jane: Contact, mark: Member, client_for: ClientFor
) -> None:
    services.response_record(survey=nps, contact=jane, score=9, source="api")
    response = client_for(mark).patch(f"/api/v1/surveys/{nps.pk}/", {"kind": "csat"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"kind": ["cannot change once the survey has answers"]}}


def test_a_relationship_survey_s_first_ask_delay_is_set_through_the_api(
    nps: Survey, mark: Member, olga: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    assert client.get(f"/api/v1/surveys/{nps.pk}/").json()["first_ask_after_days"] == 90
    response = client.patch(f"/api/v1/surveys/{nps.pk}/", {"first_ask_after_days": 120}, format="json")
    assert response.status_code == 200 and response.json()["first_ask_after_days"] == 120
    refused = client.patch(f"/api/v1/surveys/{nps.pk}/", {"first_ask_after_days": -1}, format="json")
    assert refused.status_code == 400 and "first_ask_after_days" in refused.json()["errors"]
    outsider = client_for(olga).patch(f"/api/v1/surveys/{nps.pk}/", {"first_ask_after_days": 1}, format="json")
    assert outsider.status_code == 404
    nps.refresh_from_db()
    assert nps.first_ask_after_days == 120
