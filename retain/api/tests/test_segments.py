"""/api/v1/segments/: saved account filters, shared by the workspace, changed by author or manager."""

from __future__ import annotations

import pytest

from retain.accounts import services
from retain.accounts.models import Account, Segment
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def renewing(workspace: Workspace, carol: Member) -> Segment:
    return services.segment_create(
        workspace=workspace, actor=carol, name="Renewing soon", criteria={"renewal_within_days": 90}
    )


def test_it_lists_and_shows_segments(renewing: Segment, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    rows = client.get("/api/v1/segments/").json()["results"]
    assert [(row["name"], row["criteria"]) for row in rows] == [("Renewing soon", {"renewal_within_days": 90})]
    body = client.get(f"/api/v1/segments/{renewing.pk}/").json()
    assert body["description"] == "renewal within days: 90"


def test_it_evaluates_a_segment(
    account: Account, renewing: Segment, workspace: Workspace, vic: Member, client_for: ClientFor
) -> None:
    services.account_create(workspace=workspace, actor=None, via="test", name="Initech")
    response = client_for(vic).get(f"/api/v1/segments/{renewing.pk}/accounts/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Globex"]
    assert response.json()["results"][0]["days_to_renewal"] == 60


def test_a_csm_creates_and_changes_its_own_segment(carol: Member, client_for: ClientFor) -> None:
    client = client_for(carol)
    response = client.post(
        "/api/v1/segments/", {"name": "Strategic", "criteria": {"tier": ["strategic"]}}, format="json"
    )
    assert response.status_code == 201, response.json()
    segment = Segment.objects.get(pk=response.json()["id"])
    assert (segment.created_by, segment.criteria) == (carol, {"tier": ["strategic"]})
    response = client.patch(f"/api/v1/segments/{segment.pk}/", {"criteria": {"tier": "enterprise"}}, format="json")
    assert response.status_code == 200
    assert response.json()["criteria"] == {"tier": ["enterprise"]}
    assert client.delete(f"/api/v1/segments/{segment.pk}/").status_code == 204
    assert not Segment.objects.exists()


def test_a_manager_changes_anyones_segment(renewing: Segment, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(f"/api/v1/segments/{renewing.pk}/", {"name": "Up for renewal"}, format="json")
    assert response.status_code == 200
    renewing.refresh_from_db()
    assert renewing.name == "Up for renewal"


def test_it_checks_ownership(renewing: Segment, dave: Member, client_for: ClientFor) -> None:
    client = client_for(dave)
    assert client.patch(f"/api/v1/segments/{renewing.pk}/", {"name": "Mine"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/segments/{renewing.pk}/").status_code == 403
    assert Segment.objects.get().name == "Renewing soon"


def test_it_requires_rw_access(renewing: Segment, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    assert client.post("/api/v1/segments/", {"name": "Mine"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/segments/{renewing.pk}/").status_code == 403
    assert Segment.objects.count() == 1


def test_outsider_gets_404(renewing: Segment, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/segments/").json()["count"] == 0
    for response in (
        client.get(f"/api/v1/segments/{renewing.pk}/"),
        client.get(f"/api/v1/segments/{renewing.pk}/accounts/"),
        client.patch(f"/api/v1/segments/{renewing.pk}/", {"name": "Mine"}, format="json"),
        client.delete(f"/api/v1/segments/{renewing.pk}/"),
    ):
        assert response.status_code == 404
    assert Segment.objects.count() == 1


def test_a_validation_error_names_the_field(renewing: Segment, mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    response = client.post("/api/v1/segments/", {"name": "Renewing soon"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"name": ["a segment called 'Renewing soon' already exists"]}}
    response = client.post(
        "/api/v1/segments/", {"name": "Odd", "criteria": {"tier": "gold", "colour": "red"}}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"criteria.tier", "criteria.colour"}
    response = client.post("/api/v1/segments/", {"name": "Odd", "criteria": ["tier"]}, format="json")
    assert response.json() == {"errors": {"criteria": ["must be an object"]}}
