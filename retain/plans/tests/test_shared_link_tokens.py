"""Tokens of shared links: what a token opens, and everything that must not open anything.

A live token opens its own account's page and nothing else, whichever other accounts share the
workspace. A token that is wrong in any way (unknown, altered, the stored hash itself, expired,
revoked) is a 404 like a link that never existed. The link's purpose picks the page the token opens:
a success-plan link shows the plan with who does what, a 30/60/90-day link the first ninety days;
neither shows the other's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal as D

import pytest
from django.test import Client
from django.test.client import Client as ClientType
from django.urls import reverse
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.plans import services, views
from retain.plans.models import SharedLink
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def write_plan(account: Account, actor: Member, goal: str, promise: str) -> None:
    plan = services.plan_get_or_create(account=account, actor=actor)
    services.plan_update(plan=plan, actor=actor, vision=f"The vision of {account.name}", status="active")
    objective = services.objective_add(
        goal=services.goal_add(plan=plan, actor=actor, title=goal), actor=actor, title="Measured"
    )
    services.metric_add(objective=objective, actor=actor, name=f"{goal} metric", start_value=D(0), target_value=D(4))
    services.commitment_add(
        plan=plan, actor=actor, description=promise, due_on=dt.date.today() + dt.timedelta(days=5), owner_member=actor
    )


@pytest.fixture
def hooli(workspace: Workspace, carol: Member) -> Account:
    """A second account of the same workspace, in the same CSM's book, with its own plan."""
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Hooli", tier="enterprise", owner=carol
    )
    write_plan(account, carol, "Ship Nucleus", "Hooli kick-off")
    return account


@pytest.fixture
def globex(account: Account, carol: Member) -> Account:
    write_plan(account, carol, "Double inbound leads", "Globex kick-off")
    return account


def open_page(token: str, client: ClientType | None = None) -> tuple[int, str]:
    response = (client or Client()).get(reverse("shared-plan", args=[token]))
    return response.status_code, response.content.decode()


def test_a_live_token_opens_only_its_own_accounts_plan(globex: Account, hooli: Account, carol: Member) -> None:
    _, globex_token = services.shared_link_create(account=globex, actor=carol)
    _, hooli_token = services.shared_link_create(account=hooli, actor=carol)

    status, html = open_page(globex_token)
    assert status == 200
    assert "The vision of Globex" in html and "Double inbound leads" in html and "Globex kick-off" in html
    assert "Hooli" not in html and "Ship Nucleus" not in html

    status, html = open_page(hooli_token)
    assert status == 200
    assert "Ship Nucleus" in html and "Hooli kick-off" in html
    assert "Globex" not in html and "Double inbound leads" not in html


def test_the_page_leads_nowhere_inside_the_app(globex: Account, carol: Member) -> None:
    for purpose in ("success_plan", "onboarding_plan"):
        _, token = services.shared_link_create(account=globex, actor=carol, purpose=purpose)
        status, html = open_page(token)
        assert status == 200
        assert "/w/" not in html and "/api/" not in html and "href=" not in html
        assert carol.user.email not in html  # team members are named, never addressed


def test_the_page_is_not_cached_indexed_or_referred(globex: Account, carol: Member) -> None:
    _, token = services.shared_link_create(account=globex, actor=carol)
    response = Client().get(reverse("shared-plan", args=[token]))
    assert response["X-Robots-Tag"] == "noindex"
    # Never sent to another site; not no-referrer, which makes browsers post forms with "Origin: null".
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert Client().post(reverse("shared-plan", args=[token])).status_code == 405


@pytest.mark.parametrize(
    "spoil",
    [
        lambda token: token[:-1],
        lambda token: token + "A",
        lambda token: token.swapcase(),
        lambda token: token[::-1],
        lambda token: token * 9,  # longer than any token
    ],
    ids=["shortened", "lengthened", "case-swapped", "reversed", "too-long"],
)
def test_an_altered_token_is_a_404(globex: Account, carol: Member, spoil: Callable[[str], str]) -> None:
    _, token = services.shared_link_create(account=globex, actor=carol)
    assert open_page(spoil(token))[0] == 404


def test_the_stored_hash_is_not_a_token(globex: Account, carol: Member) -> None:
    link, _ = services.shared_link_create(account=globex, actor=carol)
    assert open_page(link.token_hash)[0] == 404


def test_a_link_works_until_the_moment_it_expires(globex: Account, carol: Member) -> None:
    link, token = services.shared_link_create(account=globex, actor=carol, days=1)
    SharedLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=1))
    assert open_page(token)[0] == 200
    SharedLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert open_page(token)[0] == 404


def test_revoking_one_link_leaves_the_others_working(globex: Account, carol: Member) -> None:
    first, first_token = services.shared_link_create(account=globex, actor=carol)
    _, second_token = services.shared_link_create(account=globex, actor=carol)
    services.shared_link_revoke(link=first, actor=carol)
    assert open_page(first_token)[0] == 404
    assert open_page(second_token)[0] == 200
    # A revoked link stays revoked: it expires later than now, but that does not bring it back.
    SharedLink.objects.filter(pk=first.pk).update(expires_at=timezone.now() + dt.timedelta(days=300))
    assert open_page(first_token)[0] == 404


def test_a_success_plan_token_opens_the_plan_not_the_first_90_days(globex: Account, carol: Member) -> None:
    _, token = services.shared_link_create(account=globex, actor=carol, purpose="success_plan")
    status, html = open_page(token)
    assert status == 200
    assert "Who does what" in html and "Double inbound leads" in html
    assert "The first 90 days" not in html and "First 30 days" not in html


def test_an_onboarding_token_opens_the_first_90_days_not_the_plan_commitments(globex: Account, carol: Member) -> None:
    Account.objects.filter(pk=globex.pk).update(customer_since=dt.date.today())
    _, token = services.shared_link_create(account=globex, actor=carol, purpose="onboarding_plan")
    status, html = open_page(token)
    assert status == 200
    assert "The first 90 days" in html and "Globex kick-off" in html.split("First 30 days")[1]
    assert "Who does what" not in html


def test_a_token_of_an_account_without_a_plan_shows_no_one_elses(hooli: Account, account: Account) -> None:
    _, token = services.shared_link_create(account=account, actor=None)
    status, html = open_page(token)
    assert status == 200
    assert "The plan has not been written down yet." in html
    assert "Ship Nucleus" not in html and "Hooli" not in html


def test_a_deleted_account_takes_its_links_with_it(globex: Account, carol: Member) -> None:
    _, token = services.shared_link_create(account=globex, actor=carol)
    Account.objects.filter(pk=globex.pk).delete()
    assert open_page(token)[0] == 404


def test_the_page_is_rate_limited_per_link_and_per_address(
    globex: Account, carol: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "RATE_PER_TOKEN", 3)
    _, token = services.shared_link_create(account=globex, actor=carol)
    path = reverse("shared-plan", args=[token])
    codes = [Client(REMOTE_ADDR=f"203.0.113.{n}").get(path).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = Client(REMOTE_ADDR="203.0.113.99").get(path)
    assert limited.status_code == 429 and limited["Retry-After"] == "30"

    monkeypatch.setattr(views, "RATE_PER_ADDRESS", 5)
    guesses = [Client(REMOTE_ADDR="198.51.100.1").get(f"/p/guess-{n}/").status_code for n in range(6)]
    assert guesses == [404] * 5 + [429]
