"""Portal fixtures: the portal on for enterprise accounts, Globex's champion Jane invited, with a
success plan, a 30/60/90-day plan and a journey; Initech (same workspace) and Umbrella (another
workspace) each with an invited contact of their own."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.journeys import services as journey_services
from retain.messaging.models import OutboundMessage
from retain.plans import services as plan_services
from retain.portal import services
from retain.portal.views import PORTAL_COOKIE
from retain.tenancy.models import Member, Workspace


def link_from_outbox(contact: Contact) -> str:
    """The raw token of the latest sign-in e-mail queued for the contact (before it is sent)."""
    message = OutboundMessage.objects.filter(contact=contact, source__startswith="portal:").latest("id")
    found = re.search(r"/portal/sign-in/([^/\s]+)/", message.body)
    assert found is not None, message.body
    return found.group(1)


def signed_in_client(contact: Contact) -> Client:
    """A browser signed in to the portal as the contact, through the e-mailed link."""
    client = Client()
    services.contact_invite(contact=contact, actor=None)
    token = link_from_outbox(contact)
    response = client.post(f"/portal/sign-in/{token}/")
    assert response.status_code == 302, response.status_code
    assert PORTAL_COOKIE in response.cookies
    return client


def _account(workspace: Workspace, name: str, owner: Member | None, tier: str = "enterprise") -> Account:
    return account_services.account_create(
        workspace=workspace,
        actor=None,
        via="test",
        name=name,
        tier=tier,
        edition="professional",
        owner=owner,
        customer_since=dt.date.today() - dt.timedelta(days=20),
    )


def _contact(account: Account, email: str, first: str) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email=email, first_name=first, last_name="Doe", role="champion"
    )


def with_plan(account: Account, contact: Contact, owner: Member) -> None:
    """A success plan with a goal, objective and metric, and the journey with its 30/60/90-day plan."""
    plan = plan_services.plan_get_or_create(account=account, actor=owner)
    plan_services.plan_update(plan=plan, actor=owner, vision=f"{account.name} doubles inbound leads", status="active")
    goal = plan_services.goal_add(plan=plan, actor=owner, title="More leads")
    objective = plan_services.objective_add(goal=goal, actor=owner, title="Blog that converts")
    plan_services.metric_add(
        objective=objective, actor=owner, name="Leads a month", start_value=Decimal(100),
        target_value=Decimal(200), current_value=Decimal(150),
    )  # fmt: skip
    journey_services.journey_start(account=account)


@pytest.fixture
def portal_on(workspace: Workspace, alice: Member) -> Workspace:
    services.settings_update(workspace=workspace, actor=alice, tiers=["enterprise", "strategic"])
    return workspace


@pytest.fixture
def globex(portal_on: Workspace, account: Account, jane: Contact, carol: Member) -> Account:
    account.customer_since = dt.date.today() - dt.timedelta(days=20)
    account.save(update_fields=["customer_since"])
    with_plan(account, jane, carol)
    return account


@pytest.fixture
def initech(portal_on: Workspace, carol: Member) -> Account:
    account = _account(portal_on, "Initech", carol)
    bob = _contact(account, "bob@initech.example", "Bob")
    with_plan(account, bob, carol)
    return account


@pytest.fixture
def bob(initech: Account) -> Contact:
    return initech.contacts.get(email="bob@initech.example")


@pytest.fixture
def umbrella(other_workspace: Workspace, olga: Member) -> Account:
    services.settings_update(workspace=other_workspace, actor=olga, tiers=["enterprise"])
    account = _account(other_workspace, "Umbrella", olga)
    ursula = _contact(account, "ursula@umbrella.example", "Ursula")
    with_plan(account, ursula, olga)
    return account


@pytest.fixture
def ursula(umbrella: Account) -> Contact:
    return umbrella.contacts.get(email="ursula@umbrella.example")


@pytest.fixture
def jane_client(globex: Account, jane: Contact) -> Client:
    return signed_in_client(jane)
