"""The customer portal's page in the app: the tier switch, resources, invitations and revocation,
with an outsider (404) and a viewer (reads only)."""

from __future__ import annotations

import pytest
from django.test import Client

from retain.accounts.models import Account, Contact
from retain.messaging.models import OutboundMessage
from retain.portal import selectors as portal_selectors
from retain.portal.models import PortalAccess, Resource, SignInLink
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db
URL = "/w/acme/settings/portal/"


def _client(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_managers_turn_the_portal_on_per_tier_and_viewers_only_read(mark: Member, vic: Member, olga: Member) -> None:
    assert _client(olga).get(URL).status_code == 404
    assert _client(olga).post(URL, {"tiers": ["enterprise"]}).status_code == 404
    assert _client(vic).get(URL).status_code == 200
    assert _client(vic).post(URL, {"tiers": ["enterprise"]}).status_code == 403
    assert _client(mark).post(URL, {"tiers": ["enterprise", "strategic"]}).status_code == 302
    assert portal_selectors.portal_tiers(mark.workspace) == ["enterprise", "strategic"]
    bad = _client(mark).post(URL, {"tiers": ["platinum"]})
    assert bad.status_code == 400 and "platinum" in bad.content.decode()


def test_resources_are_added_edited_and_removed_with_a_refreshed_date(mark: Member, vic: Member, olga: Member) -> None:
    data = {"title": "Nurture webinar", "url": "https://example.com/webinar", "kind": "webinar", "stages": ["adoption"],
            "refreshed_on": "2026-11-30"}  # fmt: skip
    assert _client(vic).post(URL + "resources/", data).status_code == 403
    assert _client(mark).post(URL + "resources/", {**data, "url": "not a link"}).status_code == 400
    assert _client(mark).post(URL + "resources/", data).status_code == 302
    resource = Resource.objects.get()
    assert (resource.stages, resource.editions, str(resource.refreshed_on)) == (["adoption"], [], "2026-11-30")
    assert _client(olga).get(URL + f"resources/{resource.pk}/").status_code == 404
    edit = _client(mark).post(URL + f"resources/{resource.pk}/", {**data, "title": "Nurture webinar (Jan)"})
    assert edit.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "Nurture webinar (Jan)"
    assert "Nurture webinar (Jan)" in _client(vic).get(URL).content.decode()
    assert _client(mark).post(URL + f"resources/{resource.pk}/", {"remove": "1"}).status_code == 302
    assert not Resource.objects.exists()


def test_the_accounts_csm_invites_a_contact_who_gets_a_sign_in_email(
    account: Account, jane: Contact, carol: Member, dave: Member, vic: Member, mark: Member
) -> None:
    invite = {"email": "jane@globex.example"}
    off = _client(carol).post(URL + "invite/", invite)
    assert off.status_code == 400 and "the portal is off for the enterprise tier" in off.content.decode()
    _client(mark).post(URL, {"tiers": ["enterprise"]})
    assert _client(vic).post(URL + "invite/", invite).status_code == 403
    assert _client(dave).post(URL + "invite/", invite).status_code == 403  # not his account
    assert _client(carol).post(URL + "invite/", {"email": "nobody@globex.example"}).status_code == 400
    assert _client(carol).post(URL + "invite/", invite).status_code == 302
    access = PortalAccess.objects.get(contact=jane)
    assert access.invited_by == carol
    assert OutboundMessage.objects.filter(contact=jane, source__startswith="portal:").count() == 1
    page = _client(vic).get(URL).content.decode()
    assert "jane@globex.example" in page and "never" in page
    assert _client(dave).post(URL + f"access/{access.pk}/revoke/").status_code == 403
    assert _client(carol).post(URL + f"access/{access.pk}/revoke/").status_code == 302
    access.refresh_from_db()
    assert access.revoked_at is not None
    assert not SignInLink.objects.filter(contact=jane, used_at__isnull=True).exists()
