"""/api/v1/surveys/ and /api/v1/survey-responses/: read by every member, answers recorded by the account's CSM."""

from __future__ import annotations

import pytest

from retain.accounts.choices import EntryKind
from retain.accounts.models import Contact, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.surveys import services
from retain.surveys.models import Response, Survey
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def answer(survey: Survey, who: Contact, **extra: object) -> dict[str, object]:
    return {"survey": survey.pk, "contact": who.pk, "score": 4, "comment": "Slow reports", **extra}


def test_members_list_and_show_surveys(nps: Survey, csat: Survey, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    rows = client.get("/api/v1/surveys/").json()["results"]
    assert [(row["name"], row["scale_min"], row["scale_max"]) for row in rows] == [
        ("Relationship NPS", 0, 10),
        ("Support CSAT", 1, 5),
    ]
    assert client.get(f"/api/v1/surveys/{nps.pk}/").json()["schedule_days"] == 182
    assert client.get("/api/v1/surveys/?kind=csat").json()["count"] == 1


def test_a_csm_records_an_answer_for_its_account(
    nps: Survey, jane: Contact, carol: Member, client_for: ClientFor
) -> None:
    response = client_for(carol).post("/api/v1/survey-responses/", answer(nps, jane), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["account"], body["category"], body["source"]) == (jane.account_id, "detractor", "api")
    entry = TimelineEntry.objects.get(kind=EntryKind.SURVEY_ANSWERED)
    assert (entry.actor, entry.actor_label) == (carol, "api")
    assert TimelineEntry.objects.filter(kind=EntryKind.DETRACTOR_ANSWERED).exists()
    listed = client_for(carol).get(f"/api/v1/survey-responses/?account={jane.account_id}").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert client_for(carol).get(f"/api/v1/survey-responses/{body['id']}/").json()["score"] == 4


def test_it_checks_ownership(nps: Survey, jane: Contact, dave: Member, client_for: ClientFor) -> None:
    assert client_for(dave).post("/api/v1/survey-responses/", answer(nps, jane), format="json").status_code == 403


def test_it_requires_rw_access(nps: Survey, jane: Contact, vic: Member, client_for: ClientFor) -> None:
    response = client_for(vic).post("/api/v1/survey-responses/", answer(nps, jane), format="json")
    assert response.status_code == 403
    assert Response.objects.count() == 0


def test_outsider_gets_404(nps: Survey, jane: Contact, olga: Member, client_for: ClientFor) -> None:
    recorded = services.response_record(survey=nps, contact=jane, score=9, source="api")
    client = client_for(olga)
    assert client.get("/api/v1/surveys/").json()["count"] == 0
    assert client.get("/api/v1/survey-responses/").json()["count"] == 0
    assert client.get(f"/api/v1/surveys/{nps.pk}/").status_code == 404
    missing = client.get(f"/api/v1/survey-responses/{recorded.pk}/")
    assert missing.status_code == 404
    assert missing.json() == {"errors": {"detail": ["No such response"]}}
    posted = client.post("/api/v1/survey-responses/", answer(nps, jane), format="json")
    assert posted.status_code == 400
    assert set(posted.json()["errors"]) == {"survey", "contact"}
    assert Response.objects.count() == 1


def test_a_validation_error_names_the_field(
    nps: Survey, csat: Survey, jane: Contact, mark: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    response = client.post("/api/v1/survey-responses/", answer(csat, jane, score=7), format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"score": ["must be a whole number from 1 to 5"]}}
    response = client.post("/api/v1/survey-responses/", answer(nps, jane, score=11), format="json")
    assert list(response.json()["errors"]) == ["score"]
    response = client.post("/api/v1/survey-responses/", answer(nps, jane, contact=999999), format="json")
    assert response.json() == {"errors": {"contact": ["no contact with id 999999 in this workspace"]}}
    assert Response.objects.count() == 0
