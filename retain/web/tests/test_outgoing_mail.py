"""Who our e-mail is from and where its links go, checked on what a real SMTP server received.

Acme's e-mail to customers is from "Sasha Petrova at Acme" <cs@acme.example> with Reply-To Sasha,
the account's CSM; a digest is from Acme alone. Every link in an e-mail, a Slack post, a shared link
or a password reset starts at RETAIN_SITE_URL, whatever host the request that caused it came through.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import pytest
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from retain.accounts.models import Account, Contact
from retain.messaging import services as messaging_services
from retain.messaging.tests.receivers import Inbox, http_receiver
from retain.playbooks import engine
from retain.playbooks import services as playbook_services
from retain.playbooks.tests.helpers import playbook
from retain.surveys import services as survey_services
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, Workspace

SITE = "https://cs.example.com"  # the smtp fixture's RETAIN_SITE_URL
FOREIGN_HOST = "attacker.example"
LINK = re.compile(r"""[a-z][a-z0-9+.-]*://[^\s"'<>]+""", re.IGNORECASE)
NOW = timezone.now()
TIME = {"kind": "time", "from": "subscription_start", "after_days": 305}


def links_in(mail: EmailMessage) -> list[str]:
    """Every URL in the message: in each text part and in every header."""
    found = [link for _, value in mail.items() for link in LINK.findall(str(value))]
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            found += LINK.findall(part.get_content())  # type: ignore[attr-defined]  # walk() yields EmailMessage parts, typed as Message
    return found


def assert_links_start_at_the_site(mail: EmailMessage) -> None:
    links = links_in(mail)
    assert links, f"no link in {mail['Subject']!r}"
    assert all(link.startswith(SITE + "/") for link in links), links


def address(mail: EmailMessage, header: str) -> tuple[str, str] | None:
    """(display name, address) of a one-address header, None when the header is absent."""
    if mail[header] is None:
        return None
    [(name, addr)] = getaddresses([str(mail[header])])
    return name, addr


@pytest.fixture
def sasha(workspace: Workspace, alice: Member) -> Member:
    """Acme (as its admin named it) sends from cs@acme.example; Sasha Petrova is a CSM there."""
    tenancy_services.workspace_update(workspace=workspace, actor=alice, name="Acme", sender_email="cs@acme.example")
    return tenancy_services.member_add(
        workspace=workspace, email="sasha@acme.example", first_name="Sasha", last_name="Petrova", role="csm"
    )


@pytest.fixture
def globex(account: Account, sasha: Member) -> Account:
    """Globex, in Sasha's book."""
    Account.objects.filter(pk=account.pk).update(owner=sasha)
    account.refresh_from_db()
    return account


def test_playbook_email_is_from_the_csm_at_the_workspace_and_replies_go_to_the_csm(
    smtp: Inbox, globex: Account, jane: Contact, settings: Any
) -> None:
    settings.WEBHOOK_PRIVATE_ADDRESSES = True  # the Slack receiver below is on 127.0.0.1
    with http_receiver([200]) as (slack, url):
        playbook(
            globex.workspace,
            key="welcome",
            trigger=TIME,
            steps=[
                {"email": {"to": ["champion"], "subject": "Your plan, {{ contact.first_name }}",
                           "body": "It is all here: {{ account.url }}"}},
                {"slack": {"url": url, "text": "Welcome sent to {{ account.name }}: {{ account.url }}"}},
            ],
        )  # fmt: skip
        engine.scan(workspace=globex.workspace, now=NOW)
        engine.sweep(now=NOW, worker_name="w")
        assert messaging_services.deliveries_send_due() == 2
    [(recipients, mail)] = smtp.messages
    assert recipients == ["jane@globex.example"]
    assert address(mail, "From") == ("Sasha Petrova at Acme", "cs@acme.example")
    assert address(mail, "Reply-To") == ("Sasha Petrova", "sasha@acme.example")
    assert_links_start_at_the_site(mail)
    assert f"{SITE}/w/acme/accounts/{globex.pk}/" in links_in(mail)
    [post] = slack.bodies
    assert LINK.findall(post["text"]) == [f"{SITE}/w/acme/accounts/{globex.pk}/"]


def test_a_survey_invitation_is_from_the_csm_and_its_links_start_at_the_site(
    smtp: Inbox, globex: Account, jane: Contact, mark: Member
) -> None:
    survey_services.survey_create(
        workspace=globex.workspace, actor=mark, name="NPS", kind="nps", schedule_kind="recurring", schedule_days=182
    )
    assert survey_services.surveys_sweep().queued == 1
    assert messaging_services.deliveries_send_due() == 1
    [(_, mail)] = smtp.messages
    assert address(mail, "From") == ("Sasha Petrova at Acme", "cs@acme.example")
    assert address(mail, "Reply-To") == ("Sasha Petrova", "sasha@acme.example")
    assert_links_start_at_the_site(mail)
    assert any(link.startswith(f"{SITE}/s/") for link in links_in(mail))  # the answer link


def test_a_digest_is_from_the_workspace_with_no_reply_to(smtp: Inbox, globex: Account, sasha: Member) -> None:
    playbook(
        globex.workspace,
        key="calls",
        trigger=TIME,
        digest=True,
        steps=[{"task": {"title": "Call {{ account.name }}", "kind": "call", "due_in_days": 1}}],
    )
    engine.scan(workspace=globex.workspace, now=NOW)
    engine.sweep(now=NOW, worker_name="w")
    tomorrow = NOW + dt.timedelta(days=1)
    assert playbook_services.digests_send(workspace=globex.workspace, now=tomorrow) == 1
    assert messaging_services.deliveries_send_due(now=tomorrow) == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["sasha@acme.example"]
    assert address(mail, "From") == ("Acme", "cs@acme.example")
    assert address(mail, "Reply-To") is None
    assert_links_start_at_the_site(mail)


def test_mail_about_an_account_nobody_owns_is_from_the_workspace_and_the_server_address_by_default(
    smtp: Inbox, account: Account, jane: Contact, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Retain <mail@cs.example.com>"
    Account.objects.filter(pk=account.pk).update(owner=None)
    account.refresh_from_db()
    messaging_services.email_enqueue(
        account=account, contact=jane, subject="Hello", body="Hi Jane", idempotency_key="hello:1"
    )
    assert messaging_services.deliveries_send_due() == 1
    [(_, mail)] = smtp.messages
    assert address(mail, "From") == ("Acme CS", "mail@cs.example.com")
    assert address(mail, "Reply-To") is None
    assert_links_start_at_the_site(mail)  # the unsubscribe link


def test_a_sender_name_that_needs_quoting_or_encoding_arrives_as_written(
    smtp: Inbox, globex: Account, jane: Contact, alice: Member
) -> None:
    tenancy_services.workspace_update(workspace=globex.workspace, actor=alice, sender_name='{csm}, "Acme" Zagreb')
    sasha = globex.owner
    assert sasha is not None
    type(sasha.user).objects.filter(pk=sasha.user_id).update(first_name="Saša", last_name="Petrović")
    messaging_services.email_enqueue(account=globex, contact=jane, subject="Bok", body="Bok", idempotency_key="bok")
    assert messaging_services.deliveries_send_due() == 1
    [(_, mail)] = smtp.messages
    assert address(mail, "From") == ('Saša Petrović, "Acme" Zagreb', "cs@acme.example")
    assert address(mail, "Reply-To") == ("Saša Petrović", "sasha@acme.example")


def test_an_invitation_is_in_the_inviters_name_and_its_link_starts_at_the_site(
    smtp: Inbox, sasha: Member, alice: Member
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        tenancy_services.invitation_create(workspace=alice.workspace, actor=alice, email="sam@acme.example", role="csm")
    [(recipients, mail)] = smtp.messages
    assert recipients == ["sam@acme.example"]
    assert address(mail, "From") == ("Alice at Acme", "cs@acme.example")
    assert address(mail, "Reply-To") == ("Alice", "alice@acme.example")
    assert_links_start_at_the_site(mail)


def test_a_password_reset_asked_through_another_host_still_links_to_the_site(
    smtp: Inbox, carol: Member, settings: Any
) -> None:
    # A proxy that passes any Host through: the link must not follow it (host-header poisoning).
    settings.ALLOWED_HOSTS = ["*"]
    response = Client(HTTP_HOST=FOREIGN_HOST).post("/password-reset/", {"email": "carol@acme.example"})
    assert response.status_code == 302
    [(recipients, mail)] = smtp.messages
    assert recipients == ["carol@acme.example"]
    assert_links_start_at_the_site(mail)
    [link] = links_in(mail)
    assert "/password-reset/" in link and FOREIGN_HOST not in mail.as_string()


def test_a_shared_plan_link_made_through_another_host_starts_at_the_site(
    globex: Account, sasha: Member, settings: Any
) -> None:
    settings.SITE_URL, settings.ALLOWED_HOSTS = SITE, ["*"]
    client = Client(HTTP_HOST=FOREIGN_HOST)
    client.force_login(sasha.user)
    path = reverse("success-plan", args=["acme", globex.pk])
    response = client.post(path, {"action": "link", "purpose": "success_plan", "days": "14"})
    assert response.status_code == 200
    shown = [link for link in LINK.findall(response.content.decode()) if "/p/" in link]
    assert shown and all(link.startswith(f"{SITE}/p/") for link in shown), shown


def test_the_write_key_example_posts_to_the_site(alice: Member, settings: Any) -> None:
    settings.SITE_URL, settings.ALLOWED_HOSTS = SITE, ["*"]
    client = Client(HTTP_HOST=FOREIGN_HOST)
    client.force_login(alice.user)
    response = client.post(reverse("write-keys", args=["acme"]), {"name": "Product"})
    assert response.status_code == 201
    html = response.content.decode()
    assert f"curl {SITE}/v1/track" in html and FOREIGN_HOST not in html


def test_an_outsider_cannot_reach_the_pages_that_make_links(olga: Member, globex: Account) -> None:
    client = Client()
    client.force_login(olga.user)
    assert client.post(reverse("success-plan", args=["acme", globex.pk]), {"action": "link"}).status_code == 404
    assert client.post(reverse("write-keys", args=["acme"]), {"name": "Product"}).status_code == 404
