"""Erasing a contact and deleting the workspace over the API: admins only, outsiders get 404."""

from __future__ import annotations

import pytest

from retain.accounts.choices import ContactStatus
from retain.accounts.models import Contact
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member, Workspace


def test_an_admin_erases_a_contact(client_for: ClientFor, alice: Member, jane: Contact) -> None:
    response = client_for(alice).post(f"/api/v1/contacts/{jane.pk}/erase/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["contact"] == jane.pk and isinstance(body["erased"], dict)
    jane.refresh_from_db()
    assert (jane.status, jane.email) == (ContactStatus.ERASED, "")
    again = client_for(alice).post(f"/api/v1/contacts/{jane.pk}/erase/")
    assert again.status_code == 400 and "contact" in again.json()["errors"]


@pytest.mark.parametrize("who", ["mark", "carol", "vic"])
def test_erasing_requires_an_admin(
    request: pytest.FixtureRequest, client_for: ClientFor, who: str, jane: Contact
) -> None:
    response = client_for(request.getfixturevalue(who)).post(f"/api/v1/contacts/{jane.pk}/erase/")
    assert response.status_code == 403
    jane.refresh_from_db()
    assert jane.status == ContactStatus.ACTIVE


def test_it_checks_ownership(client_for: ClientFor, olga: Member, jane: Contact) -> None:
    outsider = client_for(olga)
    assert outsider.post(f"/api/v1/contacts/{jane.pk}/erase/").status_code == 404
    # Olga deleting "her" workspace never touches Acme's, whatever slug she sends.
    assert outsider.post("/api/v1/workspace/delete/", {"confirm": "acme"}, format="json").status_code == 400
    jane.refresh_from_db()
    assert jane.status == ContactStatus.ACTIVE
    assert Workspace.objects.filter(slug="acme").exists()


def test_an_admin_deletes_the_workspace_by_naming_it(
    client_for: ClientFor, alice: Member, mark: Member, jane: Contact, olga: Member
) -> None:
    assert client_for(mark).post("/api/v1/workspace/delete/", {"confirm": "acme"}, format="json").status_code == 403
    client = client_for(alice)
    wrong = client.post("/api/v1/workspace/delete/", {"confirm": "Acme"}, format="json")
    assert wrong.status_code == 400 and "confirm" in wrong.json()["errors"]
    assert client.post("/api/v1/workspace/delete/", {}, format="json").status_code == 400
    response = client.post("/api/v1/workspace/delete/", {"confirm": "acme"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["workspace"] == "acme" and response.json()["deleted"]["accounts.contact"] == 1
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["other"]
    # The token went with its member: the next call is refused.
    assert client.post("/api/v1/workspace/delete/", {"confirm": "acme"}, format="json").status_code == 401
