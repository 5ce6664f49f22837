"""Your data (export, delete the workspace) and erasing a contact, in the web UI: admins only.

Alice is the admin, Mark the manager, Vic a viewer; Olga is an outsider and gets 404.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client

from retain.accounts.choices import ContactStatus
from retain.accounts.models import Contact
from retain.tenancy.models import Member, Workspace

W = "/w/acme/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.mark.django_db
def test_the_data_page_and_its_actions_check_ownership(alice: Member, olga: Member, jane: Contact) -> None:
    outsider = login(olga)
    assert outsider.get(W + "settings/data/").status_code == 404
    assert outsider.post(W + "settings/data/export/").status_code == 404
    assert outsider.post(W + "settings/data/delete/", {"confirm": "acme"}).status_code == 404
    assert outsider.get(W + f"contacts/{jane.pk}/erase/").status_code == 404
    assert outsider.post(W + f"contacts/{jane.pk}/erase/", {"confirm": "erase"}).status_code == 404
    # Olga's own workspace does not reach Acme's contact either.
    assert outsider.post(f"/w/other/contacts/{jane.pk}/erase/", {"confirm": "erase"}).status_code == 404
    assert Workspace.objects.filter(slug="acme").exists()
    jane.refresh_from_db()
    assert jane.status == ContactStatus.ACTIVE


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["mark", "vic"])
def test_it_requires_an_admin(request: pytest.FixtureRequest, who: str, jane: Contact) -> None:
    client = login(request.getfixturevalue(who))
    assert client.get(W + "settings/data/").status_code == 403
    assert client.post(W + "settings/data/export/").status_code == 403
    assert client.post(W + "settings/data/delete/", {"confirm": "acme"}).status_code == 403
    assert client.post(W + f"contacts/{jane.pk}/erase/", {"confirm": "erase"}).status_code == 403
    assert Workspace.objects.filter(slug="acme").exists()
    assert "Your data" not in client.get(W + "settings/").content.decode()


@pytest.mark.django_db
def test_an_admin_downloads_the_whole_workspace(alice: Member, jane: Contact) -> None:
    client = login(alice)
    assert 'href="/w/acme/settings/data/"' in client.get(W + "settings/").content.decode()
    assert client.get(W + "settings/data/export/").status_code == 405
    response = client.post(W + "settings/data/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="retain-acme-' in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
        manifest = json.loads(zf.read("manifest.json"))
        contacts = zf.read("json/accounts.contact.jsonl").decode()
    assert manifest["workspace"]["slug"] == "acme"
    assert "jane@globex.example" in contacts


@pytest.mark.django_db
def test_deleting_the_workspace_needs_its_slug_typed(alice: Member, olga: Member, jane: Contact) -> None:
    client = login(alice)
    response = client.post(W + "settings/data/delete/", {"confirm": "Acme CS"})
    assert response.status_code == 400 and "Type acme to confirm" in response.content.decode()
    assert Workspace.objects.filter(slug="acme").exists()

    response = client.post(W + "settings/data/delete/", {"confirm": "acme"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert list(Workspace.objects.values_list("slug", flat=True)) == ["other"]
    assert not Contact.objects.filter(pk=jane.pk).exists()


@pytest.mark.django_db
def test_an_admin_erases_a_contact_after_typing_erase(alice: Member, carol: Member, jane: Contact) -> None:
    assert "Erase this contact" not in login(carol).get(W + f"contacts/{jane.pk}/edit/").content.decode()
    client = login(alice)
    assert "Erase this contact" in client.get(W + f"contacts/{jane.pk}/edit/").content.decode()
    assert "Erase Jane" in client.get(W + f"contacts/{jane.pk}/erase/").content.decode()

    response = client.post(W + f"contacts/{jane.pk}/erase/", {"confirm": "yes"})
    assert response.status_code == 400
    jane.refresh_from_db()
    assert jane.status == ContactStatus.ACTIVE

    response = client.post(W + f"contacts/{jane.pk}/erase/", {"confirm": "Erase"})
    assert response.status_code == 302 and response["Location"] == W + f"accounts/{jane.account_id}/"
    jane.refresh_from_db()
    assert (jane.status, jane.email, jane.first_name) == (ContactStatus.ERASED, "", "")
    page = client.get(response["Location"]).content.decode()
    assert "personal data was erased" in page and "jane@globex.example" not in page
