"""/api/v1/contacts/: people at accounts; a CSM changes those of its own book."""

from __future__ import annotations

import pytest

from retain.accounts import services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def initech(workspace: Workspace, dave: Member) -> Account:
    return services.account_create(workspace=workspace, actor=None, via="test", name="Initech", owner=dave)


def test_it_lists_and_filters_contacts(jane: Contact, initech: Account, vic: Member, client_for: ClientFor) -> None:
    services.contact_create(account=initech, actor=None, via="test", email="bill@initech.example", last_name="Lumbergh")
    client = client_for(vic)
    assert [row["email"] for row in client.get("/api/v1/contacts/").json()["results"]] == [
        "jane@globex.example",
        "bill@initech.example",
    ]
    rows = client.get(f"/api/v1/contacts/?account={jane.account_id}").json()["results"]
    assert [row["email"] for row in rows] == ["jane@globex.example"]
    assert client.get("/api/v1/contacts/?role=champion").json()["count"] == 1


def test_it_shows_a_contact(jane: Contact, vic: Member, client_for: ClientFor) -> None:
    body = client_for(vic).get(f"/api/v1/contacts/{jane.pk}/").json()
    assert (body["email"], body["role"], body["account"]) == ("jane@globex.example", "champion", jane.account_id)


def test_a_manager_adds_and_updates_contacts(account: Account, mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    response = client.post(
        "/api/v1/contacts/",
        {"account": account.pk, "email": "Sam@Globex.example", "first_name": "Sam", "role": "executive_sponsor"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.email == "sam@globex.example"
    response = client.patch(f"/api/v1/contacts/{contact.pk}/", {"status": "left"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "left"
    assert response.json()["left_on"] is not None
    kinds = list(
        TimelineEntry.objects.filter(contact=contact, actor=mark, actor_label="api").values_list("kind", flat=True)
    )
    assert sorted(kinds) == sorted([EntryKind.CONTACT_ADDED, EntryKind.CONTACT_LEFT])


def test_a_csm_changes_contacts_of_its_own_book(
    jane: Contact, initech: Account, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    assert client.patch(f"/api/v1/contacts/{jane.pk}/", {"title": "COO"}, format="json").status_code == 200
    response = client.post("/api/v1/contacts/", {"account": initech.pk, "email": "x@initech.example"}, format="json")
    assert response.status_code == 403
    # Nor can it move its own contact into another CSM's book.
    response = client.patch(f"/api/v1/contacts/{jane.pk}/", {"account": initech.pk}, format="json")
    assert response.status_code == 403
    jane.refresh_from_db()
    assert (jane.title, jane.account_id) == ("COO", jane.account_id)


def test_it_checks_ownership(jane: Contact, dave: Member, client_for: ClientFor) -> None:
    client = client_for(dave)
    assert client.get(f"/api/v1/contacts/{jane.pk}/").status_code == 200
    assert client.patch(f"/api/v1/contacts/{jane.pk}/", {"title": "CEO"}, format="json").status_code == 403


def test_it_requires_rw_access(jane: Contact, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    assert client.patch(f"/api/v1/contacts/{jane.pk}/", {"title": "CEO"}, format="json").status_code == 403
    response = client.post("/api/v1/contacts/", {"account": jane.account_id, "email": "v@x.example"}, format="json")
    assert response.status_code == 403
    assert Contact.objects.count() == 1


def test_outsider_gets_404(jane: Contact, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/contacts/").json()["count"] == 0
    assert client.get(f"/api/v1/contacts/?account={jane.account_id}").json()["count"] == 0
    assert client.get(f"/api/v1/contacts/{jane.pk}/").status_code == 404
    assert client.patch(f"/api/v1/contacts/{jane.pk}/", {"title": "CEO"}, format="json").status_code == 404
    # An account of another workspace is, for Olga, an account that does not exist.
    response = client.post("/api/v1/contacts/", {"account": jane.account_id, "email": "o@x.example"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"account": [f"no account with id {jane.account_id} in this workspace"]}}


def test_a_validation_error_names_the_field(jane: Contact, mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    response = client.post(
        "/api/v1/contacts/", {"account": jane.account_id, "email": "jane@globex.example"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"email": ["'jane@globex.example' is already used by another contact"]}}
    response = client.patch(f"/api/v1/contacts/{jane.pk}/", {"email": "not-an-email", "role": "boss"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"email", "role"}
