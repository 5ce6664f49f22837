"""Signing in to the portal: a one-time e-mailed link that expires, sessions of the portal's own,
rate limits, and what a member's session (or a portal cookie) does not open."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.api.tests.conftest import client_for as client_for  # an API client with a member's token
from retain.messaging.models import OutboundMessage
from retain.messaging.services import deliveries_send_due
from retain.messaging.tests.receivers import Inbox
from retain.messaging.tests.receivers import smtp as smtp  # a real local SMTP server
from retain.portal import services
from retain.portal.choices import ActivityKind
from retain.portal.models import PortalActivity, SignInLink
from retain.portal.tests.conftest import link_from_outbox, signed_in_client
from retain.portal.views import PORTAL_COOKIE
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db


def test_an_invitation_mails_a_link_through_the_outbox_that_signs_in_once(
    globex: Account, jane: Contact, carol: Member
) -> None:
    services.contact_invite(contact=jane, actor=carol)
    message = OutboundMessage.objects.get(contact=jane, source__startswith="portal:")
    assert message.to == "jane@globex.example"
    token = link_from_outbox(jane)
    link = SignInLink.objects.get(contact=jane)
    assert token not in link.token_hash  # only the hash is stored
    client = Client()
    assert client.get(f"/portal/sign-in/{token}/").status_code == 200  # GET only asks to press the button
    assert client.get("/portal/").status_code == 302
    response = client.post(f"/portal/sign-in/{token}/")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    cookie = response.cookies[PORTAL_COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/portal/"
    page = client.get("/portal/")
    assert page.status_code == 200 and "Globex doubles inbound leads" in page.content.decode()
    # The link is used up: a second use (in another browser) signs nobody in.
    again = Client().post(f"/portal/sign-in/{token}/")
    assert again.status_code == 404 and PORTAL_COOKIE not in again.cookies
    assert Client().get(f"/portal/sign-in/{token}/").status_code == 404
    entries = TimelineEntry.objects.filter(account=globex, kind=EntryKind.PORTAL_SIGNED_IN)
    assert [e.contact_id for e in entries] == [jane.pk]
    assert PortalActivity.objects.filter(account=globex, kind=ActivityKind.SIGN_IN).count() == 1


def test_an_expired_link_does_not_sign_in(globex: Account, jane: Contact) -> None:
    services.contact_invite(contact=jane, actor=None)
    token = link_from_outbox(jane)
    SignInLink.objects.filter(contact=jane).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post(f"/portal/sign-in/{token}/")
    assert response.status_code == 404 and PORTAL_COOKIE not in response.cookies
    assert "does not work" in response.content.decode()


def test_a_sign_in_link_asked_for_lasts_thirty_minutes_and_the_page_never_tells_who_is_a_customer(
    globex: Account, jane: Contact
) -> None:
    services.contact_invite(contact=jane, actor=None)
    before = OutboundMessage.objects.count()
    known = Client().post("/portal/sign-in/", {"email": "JANE@globex.example"})
    unknown = Client().post("/portal/sign-in/", {"email": "nobody@globex.example"})
    assert known.status_code == unknown.status_code == 200
    assert "a sign-in link is on its way" in known.content.decode()
    assert "a sign-in link is on its way" in unknown.content.decode()
    assert OutboundMessage.objects.count() == before + 1  # only Jane's
    link = SignInLink.objects.filter(contact=jane).latest("id")
    assert dt.timedelta(minutes=29) < link.expires_at - link.created_at <= dt.timedelta(minutes=30)


def test_sign_in_emails_are_rate_limited_per_address_and_per_client(globex: Account, jane: Contact) -> None:
    services.contact_invite(contact=jane, actor=None)
    client = Client()
    answers = [client.post("/portal/sign-in/", {"email": "jane@globex.example"}).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert SignInLink.objects.filter(contact=jane).exclude(requested_from="").count() == 5
    # Another address from the same client: counted per client address too (20 an hour).
    other = [client.post("/portal/sign-in/", {"email": f"someone{i}@example.com"}).status_code for i in range(14)]
    assert other == [200] * 14  # 6 + 14 = 20 requests from this client so far
    limited = client.post("/portal/sign-in/", {"email": "someone-else@example.com"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_a_members_session_is_not_a_portal_session_and_a_portal_cookie_is_not_a_members(
    globex: Account, jane: Contact, alice: Member, client: Client
) -> None:
    client.force_login(alice.user)
    assert client.get("/portal/").status_code == 302
    assert client.get("/portal/").headers["Location"] == "/portal/sign-in/"
    portal = signed_in_client(jane)
    response = portal.get("/w/acme/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_revoking_access_or_turning_the_tier_off_ends_the_session(
    globex: Account, jane: Contact, alice: Member
) -> None:
    cookie = signed_in_client(jane).cookies[PORTAL_COOKIE].value

    def status() -> int:
        client = Client()
        client.cookies[PORTAL_COOKIE] = cookie
        return client.get("/portal/").status_code

    assert status() == 200
    services.settings_update(workspace=globex.workspace, actor=alice, tiers=["strategic"])
    assert status() == 302
    services.settings_update(workspace=globex.workspace, actor=alice, tiers=["enterprise"])
    assert status() == 200
    jane.refresh_from_db()
    services.access_revoke(access=jane.portal_access, actor=alice)
    assert status() == 302


def test_signing_out_ends_the_session(jane_client: Client) -> None:
    cookie = jane_client.cookies[PORTAL_COOKIE].value
    jane_client.post("/portal/sign-out/")
    replay = Client()
    replay.cookies[PORTAL_COOKIE] = cookie
    assert replay.get("/portal/").status_code == 302


def test_the_portal_off_for_a_tier_means_no_invitation(globex: Account, jane: Contact, alice: Member) -> None:
    services.settings_update(workspace=globex.workspace, actor=alice, tiers=[])
    with pytest.raises(Exception, match="the portal is off for the enterprise tier"):
        services.contact_invite(contact=jane, actor=alice)
    assert not SignInLink.objects.exists()


def test_once_sent_the_stored_email_no_longer_holds_the_link(globex: Account, jane: Contact, settings: object) -> None:
    services.contact_invite(contact=jane, actor=None)
    token = link_from_outbox(jane)
    assert deliveries_send_due() == 1
    assert token in mail.outbox[0].body  # the contact got it
    stored = OutboundMessage.objects.get(contact=jane, source__startswith="portal:")
    assert token not in stored.body and services.REDACTED in stored.body
    sent = TimelineEntry.objects.get(account=globex, kind=EntryKind.EMAIL_SENT)
    assert sent.contact_id == jane.pk and token not in sent.summary + str(sent.data)


def test_a_member_never_reads_a_waiting_sign_in_link_and_the_customer_still_gets_it(
    globex: Account, jane: Contact, carol: Member, olga: Member, client_for: ClientFor, smtp: Inbox
) -> None:
    services.contact_invite(contact=jane, actor=carol)
    token = link_from_outbox(jane)  # waiting in the outbox, intact
    message = OutboundMessage.objects.get(contact=jane, source__startswith="portal:")
    assert message.status == "queued" and token in message.body

    # The Messages page, the API's list and its detail of the message show no token.
    web = Client()
    web.force_login(carol.user)
    page = web.get(f"/w/{globex.workspace.slug}/messages/")
    assert page.status_code == 200 and f'data-message="{message.pk}"' in page.content.decode()
    assert token not in page.content.decode()
    api = client_for(carol)
    listed = api.get("/api/v1/messages/").json()["results"]
    detail = api.get(f"/api/v1/messages/{message.pk}/").json()
    for shown in (next(m for m in listed if m["id"] == message.pk), detail):
        assert token not in str(shown)
        assert "/portal/sign-in/" not in shown["body"] and services.WITHHELD in shown["body"]
        assert "Sign in here (no password needed)" in shown["body"]  # the rest of the e-mail is there
    # Somebody of another workspace does not see the message at all.
    assert client_for(olga).get(f"/api/v1/messages/{message.pk}/").status_code == 404

    # The customer's e-mail, through a real SMTP server, still carries the link, and it signs in.
    assert deliveries_send_due() == 1
    deadline = time.monotonic() + 15
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    recipients, sent = smtp.messages[0]
    assert recipients == ["jane@globex.example"]
    assert f"/portal/sign-in/{token}/" in sent.get_content()
    assert Client().post(f"/portal/sign-in/{token}/").status_code == 302
