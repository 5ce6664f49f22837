"""The customer's read-only page at p/<token>/: live links show the plan, anything else is a 404.

The page must not lead back into the workspace: no links into /w/, no ids of other objects.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.lib.tokens import hash_token
from retain.plans import services
from retain.plans.models import Commitment, SharedLink, SuccessPlan
from retain.plans.selectors import PlanView, first_ninety_days
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(account: Account, carol: Member) -> str:
    plan = services.plan_get_or_create(account=account, actor=carol)
    services.plan_update(plan=plan, actor=carol, vision="Be the go-to marketing team", status="active")
    goal = services.goal_add(plan=plan, actor=carol, title="Double inbound leads")
    objective = services.objective_add(goal=goal, actor=carol, title="Leads flowing")
    services.metric_add(
        objective=objective,
        actor=carol,
        name="Leads a month",
        start_value=D(100),
        target_value=D(200),
        current_value=D(150),
    )
    contact = account_services.contact_create(
        account=account, actor=None, via="test", first_name="Jane", last_name="Doe", email="jane@globex.example"
    )
    services.commitment_add(
        plan=plan, actor=carol, description="Migrate the blog", due_on=dt.date.today(), owner_contact=contact
    )
    _, raw = services.shared_link_create(account=account, actor=carol)
    return raw


def page(token: str) -> object:
    return Client().get(reverse("shared-plan", args=[token]))


def test_a_live_link_shows_the_plan_without_a_login(shared: str) -> None:
    response = page(shared)
    assert response.status_code == 200  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response
    html = response.content.decode()  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response
    for text in (
        "Globex",
        "Be the go-to marketing team",
        "Double inbound leads",
        "Leads a month",
        "50%",
        "Migrate the blog",
        "Jane Doe",
    ):
        assert text in html


def test_only_the_hash_of_the_token_is_stored(shared: str) -> None:
    link = SharedLink.objects.get()
    assert link.token_hash == hash_token(shared)
    assert shared not in link.token_hash


def test_a_bad_token_gets_404(shared: str) -> None:
    assert page("not-a-token").status_code == 404  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response
    assert page(shared[:-1]).status_code == 404  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response


def test_an_expired_link_gets_404(shared: str) -> None:
    SharedLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert page(shared).status_code == 404  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response


def test_a_revoked_link_gets_404(shared: str, carol: Member) -> None:
    services.shared_link_revoke(link=SharedLink.objects.get(), actor=carol)
    assert page(shared).status_code == 404  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response


def test_a_link_of_another_workspace_shows_only_its_own_account(
    shared: str, other_workspace: Workspace, olga: Member
) -> None:
    initech = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech")
    _, raw = services.shared_link_create(account=initech, actor=olga)
    html = page(raw).content.decode()  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response
    assert "Initech" in html
    assert "Globex" not in html and "Double inbound leads" not in html


def test_the_page_exposes_no_workspace_links_and_no_ids(shared: str, account: Account) -> None:
    html = page(shared).content.decode()  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response
    assert "/w/" not in html
    assert "acme" not in html  # the workspace slug
    assert re.findall(r"href=", html) == []
    assert "data-" not in html
    assert f"/{account.pk}/" not in html


def test_links_expire_within_the_allowed_range_naming_the_field(account: Account, carol: Member) -> None:
    with pytest.raises(ValidationError) as error:
        services.shared_link_create(account=account, actor=carol, days=0)
    assert "days" in error.value.message_dict


def test_a_first_90_days_link_groups_commitments_by_period_and_side(account: Account, carol: Member) -> None:
    start = dt.date(2026, 1, 1)
    Account.objects.filter(pk=account.pk).update(customer_since=start)
    account.refresh_from_db()
    plan = services.plan_get_or_create(account=account, actor=carol)
    contact = account_services.contact_create(
        account=account, actor=None, via="test", first_name="Jane", last_name="Doe", email="jane@globex.example"
    )
    services.commitment_add(
        plan=plan,
        actor=carol,
        description="Install the tracking code",
        due_on=start + dt.timedelta(days=6),
        owner_contact=contact,
    )
    services.commitment_add(
        plan=plan, actor=carol, description="Run the kick-off", due_on=start + dt.timedelta(days=2), owner_member=carol
    )
    services.commitment_add(
        plan=plan,
        actor=carol,
        description="First campaign review",
        due_on=start + dt.timedelta(days=70),
        owner_member=carol,
    )
    services.commitment_add(
        plan=plan,
        actor=carol,
        description="Quarterly review",
        due_on=start + dt.timedelta(days=120),
        owner_member=carol,
    )
    _, raw = services.shared_link_create(account=account, actor=carol, purpose="onboarding_plan")

    html = page(raw).content.decode()  # type: ignore[attr-defined]  # page() is typed object; it is the test client's response

    first, second, third = html.split("First 30 days")[1], html.split("Days 31–60")[1], html.split("Days 61–90")[1]
    assert first.index("Install the tracking code") < first.index("Days 31–60")
    assert first.index("Run the kick-off") < first.index("Days 31–60")
    assert "Nothing planned." in second.split("Days 61–90")[0]
    assert third.index("First campaign review") < third.index("Later")
    assert "Quarterly review" in html.split("Later")[1]
    assert "/w/" not in html and "href=" not in html


def test_the_first_90_days_puts_day_1_to_30_in_the_first_period() -> None:
    plan = SuccessPlan(pk=1)
    c30 = Commitment(description="day 30", due_on=dt.date(2026, 1, 30), owner_member_id=1)
    c31 = Commitment(description="day 31", due_on=dt.date(2026, 1, 31), owner_contact_id=1)
    early = Commitment(description="before", due_on=dt.date(2025, 12, 31), owner_member_id=1)
    view = PlanView(plan=plan, goals=[], progress=None, commitments=[c30, c31, early], commitments_done=None)
    periods, later = first_ninety_days(view, dt.date(2026, 1, 1))
    assert [p.ours for p in periods] == [[c30], [], []]
    assert [p.customer for p in periods] == [[], [c31], []]
    assert later == [early]
