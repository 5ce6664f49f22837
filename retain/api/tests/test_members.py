"""/api/v1/members/: everyone reads the team; managers and admins change roles and capacity."""

from __future__ import annotations

import pytest

from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def test_every_member_reads_the_team(
    alice: Member, mark: Member, carol: Member, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    rows = client.get("/api/v1/members/").json()["results"]
    assert [(row["name"], row["role"]) for row in rows] == [
        ("Alice", "admin"),
        ("Carol", "csm"),
        ("Mark", "manager"),
        ("Vic", "viewer"),
    ]
    assert [row["name"] for row in client.get("/api/v1/members/?role=csm").json()["results"]] == ["Carol"]
    body = client.get(f"/api/v1/members/{carol.pk}/").json()
    assert (body["email"], body["csm_kind"], body["capacity"]) == ("carol@acme.example", "enterprise", "40.00")


def test_a_manager_changes_a_csms_book_size(mark: Member, carol: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(
        f"/api/v1/members/{carol.pk}/", {"capacity": "60", "csm_kind": "strategic"}, format="json"
    )
    assert response.status_code == 200, response.json()
    carol.refresh_from_db()
    assert (carol.capacity, carol.csm_kind) == (60, "strategic")


def test_only_an_admin_makes_an_admin(alice: Member, mark: Member, carol: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(f"/api/v1/members/{carol.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 403
    assert client_for(mark).patch(f"/api/v1/members/{alice.pk}/", {"role": "viewer"}, format="json").status_code == 403
    assert (
        client_for(mark).patch(f"/api/v1/members/{alice.pk}/", {"is_active": False}, format="json").status_code == 403
    )
    alice.refresh_from_db()
    assert (alice.role, alice.is_active) == ("admin", True)
    response = client_for(alice).patch(f"/api/v1/members/{carol.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 200
    carol.refresh_from_db()
    assert carol.role == "admin"


def test_it_requires_a_manager(carol: Member, vic: Member, client_for: ClientFor) -> None:
    for someone in (carol, vic):
        response = client_for(someone).patch(f"/api/v1/members/{carol.pk}/", {"capacity": "99"}, format="json")
        assert response.status_code == 403
        assert response.json() == {"errors": {"detail": ["Only managers and admins can do this"]}}
    carol.refresh_from_db()
    assert carol.capacity == 40


def test_outsider_gets_404(carol: Member, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert [row["name"] for row in client.get("/api/v1/members/").json()["results"]] == ["Olga"]
    assert client.get(f"/api/v1/members/{carol.pk}/").status_code == 404
    assert client.patch(f"/api/v1/members/{carol.pk}/", {"capacity": "1"}, format="json").status_code == 404


def test_a_validation_error_names_the_field(mark: Member, carol: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(
        f"/api/v1/members/{carol.pk}/", {"role": "overlord", "capacity": "-3"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"role", "capacity"}
    response = client_for(mark).patch(f"/api/v1/members/{carol.pk}/", {"email": "x@y.example"}, format="json")
    assert response.status_code == 200  # read-only fields are ignored, as DRF does
    carol.refresh_from_db()
    assert carol.user.email == "carol@acme.example"


def test_a_manager_cannot_change_a_role_or_deactivate_anyone(
    mark: Member, carol: Member, dave: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    response = client.patch(f"/api/v1/members/{carol.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"errors": {"detail": ["Only admins change a member's role or access"]}}
    assert client.patch(f"/api/v1/members/{dave.pk}/", {"is_active": False}, format="json").status_code == 403
    carol.refresh_from_db()
    dave.refresh_from_db()
    assert (carol.role, dave.is_active) == ("csm", True)


def test_a_manager_plans_an_admins_capacity_as_on_the_web(alice: Member, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(
        f"/api/v1/members/{alice.pk}/", {"capacity_unit": "accounts", "capacity": "5"}, format="json"
    )
    assert response.status_code == 200, response.json()
    alice.refresh_from_db()
    assert (alice.role, alice.capacity) == ("admin", 5)


def test_the_last_admin_cannot_demote_or_deactivate_themself(alice: Member, client_for: ClientFor) -> None:
    client = client_for(alice)
    response = client.patch(f"/api/v1/members/{alice.pk}/", {"role": "manager"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"role": ["the workspace must keep at least one active admin"]}
    response = client.patch(f"/api/v1/members/{alice.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"is_active": ["the workspace must keep at least one active admin"]}
    alice.refresh_from_db()
    assert (alice.role, alice.is_active) == ("admin", True)


def test_an_outsider_admin_cannot_change_anyone_here(alice: Member, olga: Member, client_for: ClientFor) -> None:
    response = client_for(olga).patch(f"/api/v1/members/{alice.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 404
    alice.refresh_from_db()
    assert alice.role == "admin"
