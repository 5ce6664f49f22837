"""The 30/60/90-day plan: generated from the journey and the tier into the success plan's commitments,
once, and shown to the customer through an onboarding-plan link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.journeys.services import journey_start
from retain.plans import onboarding, services
from retain.plans.choices import CommitmentStatus
from retain.plans.models import Commitment, SuccessPlan
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def _texts(tier: str) -> list[str]:
    return [item.description for item in onboarding.plan_items(tier, dt.date(2026, 1, 1))]


def test_each_tier_gets_the_onboarding_its_seed_strategy_describes() -> None:
    community, enterprise, strategic = _texts("community"), _texts("enterprise"), _texts("strategic")
    assert any("webinar" in t for t in community)
    assert any("knowledge-base" in t for t in community)
    assert any("e-mail" in t for t in community)
    assert not any("call" in t.lower() for t in community)
    assert "Kick-off call: roles, responsibilities and this plan" in enterprise
    assert "Goal review: goals and expectations, readiness and risks" in enterprise
    assert [t for t in enterprise if t.startswith("Biweekly adoption call")] == [
        f"Biweekly adoption call (week {week})" for week in (5, 7, 9, 11)
    ]
    assert "Personal kick-off with the project team" in strategic
    assert "Executive sponsor introduction and sponsor selection" in strategic
    assert "Confirm the key contacts: champion, admins and executive sponsor" in strategic
    assert not any(t.startswith("Kick-off call") for t in strategic)
    for texts in (community, enterprise, strategic):
        assert len(set(texts)) == len(texts)  # a description names its step within the plan


def test_steps_fall_within_the_90_days_and_follow_the_journeys_due_dates() -> None:
    start = dt.date(2026, 1, 1)
    setup = onboarding.MilestoneDue("technical-setup", "Technical set-up", dt.date(2026, 1, 12))
    items = onboarding.plan_items("enterprise", start, [setup])
    for item in items:
        assert start <= item.due_on <= start + dt.timedelta(days=89)
    migrate = next(i for i in items if i.milestone == "technical-setup")
    assert (migrate.side, migrate.due_on) == ("customer", dt.date(2026, 1, 12))
    assert items == sorted(items, key=lambda i: (i.due_on, i.side != "customer", i.description))


def test_milestones_are_grouped_by_the_period_they_are_due_in() -> None:
    start = dt.date(2026, 1, 1)
    due = [
        onboarding.MilestoneDue("a", "A", dt.date(2026, 1, 30)),
        onboarding.MilestoneDue("b", "B", dt.date(2026, 1, 31)),
        onboarding.MilestoneDue("c", "C", dt.date(2026, 3, 31)),
        onboarding.MilestoneDue("d", "D", dt.date(2026, 4, 1)),
    ]
    assert [[m.key for m in period] for period in onboarding.milestones_by_period(start, due)] == [["a"], ["b"], ["c"]]


@pytest.fixture
def new_customer(account: Account) -> Account:
    Account.objects.filter(pk=account.pk).update(
        customer_since=workspace_today(account.workspace) - dt.timedelta(days=3)
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def champion(new_customer: Account) -> Contact:
    return account_services.contact_create(
        account=new_customer,
        actor=None,
        via="test",
        first_name="Jane",
        last_name="Doe",
        email="jane@globex.example",
        role="champion",
    )


def test_a_new_customer_starting_its_journey_gets_its_plan(new_customer: Account, champion: Contact) -> None:
    journey = journey_start(account=new_customer)
    plan = SuccessPlan.objects.get(account=new_customer)
    commitments = list(plan.commitments.all())
    assert len(commitments) == len(_texts("enterprise"))
    ours = [c for c in commitments if c.owner_member_id]
    theirs = [c for c in commitments if c.owner_contact_id]
    assert ours and theirs
    assert {c.owner_contact_id for c in theirs} == {champion.pk}
    assert {c.owner_member_id for c in ours} == {new_customer.owner_id}
    setup_due = journey.progress.get(key="technical-setup").due_on
    assert plan.commitments.get(description__startswith="Migrate the blog").due_on == setup_due
    assert plan.events.filter(summary__startswith="30/60/90-day plan:").count() == 1


def test_generating_twice_adds_nothing_and_keeps_edits(new_customer: Account, champion: Contact, carol: Member) -> None:
    journey_start(account=new_customer)
    plan = SuccessPlan.objects.get(account=new_customer)
    before = plan.commitments.count()
    kickoff = plan.commitments.get(description__startswith="Kick-off call")
    services.commitment_set_status(commitment=kickoff, actor=carol, status=CommitmentStatus.DONE)

    assert services.onboarding_plan_generate(account=new_customer, actor=carol) == 0
    journey_start(account=new_customer)

    assert plan.commitments.count() == before
    kickoff.refresh_from_db()
    assert kickoff.status == CommitmentStatus.DONE


def test_a_step_whose_description_was_edited_is_not_added_again(
    new_customer: Account, champion: Contact, carol: Member
) -> None:
    journey_start(account=new_customer)
    plan = SuccessPlan.objects.get(account=new_customer)
    before = plan.commitments.count()
    kickoff = plan.commitments.get(description__startswith="Kick-off call")
    assert kickoff.source_key.startswith("onboarding:enterprise:")
    Commitment.objects.filter(pk=kickoff.pk).update(description="Kick-off with the CMO, in Berlin")

    assert services.onboarding_plan_generate(account=new_customer, actor=carol) == 0
    assert plan.commitments.count() == before
    assert plan.commitments.filter(description__startswith="Kick-off call").count() == 0


def test_without_a_champion_or_admin_the_owner_takes_the_customers_steps(new_customer: Account) -> None:
    journey_start(account=new_customer)
    commitments = Commitment.objects.filter(plan__account=new_customer)
    assert commitments.filter(owner_contact__isnull=False).count() == 0
    assert set(commitments.values_list("owner_member_id", flat=True)) == {new_customer.owner_id}


def test_an_account_that_started_long_ago_gets_no_plan_from_its_journey(account: Account) -> None:
    journey_start(account=account, started_on=workspace_today(account.workspace) - dt.timedelta(days=200))
    assert not SuccessPlan.objects.filter(account=account).exists()


def test_a_community_account_gets_the_tech_touch_plan(workspace: Workspace, dave: Member) -> None:
    small = account_services.account_create(
        workspace=workspace,
        actor=None,
        via="test",
        name="Tiny",
        tier="community",
        owner=dave,
        customer_since=workspace_today(workspace),
    )
    journey_start(account=small)
    texts = set(Commitment.objects.filter(plan__account=small).values_list("description", flat=True))
    assert texts == set(_texts("community"))


# The customer's page ------------------------------------------------------------------------------


def _page(raw: str) -> str:
    response = Client().get(reverse("shared-plan", args=[raw]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_onboarding_link_shows_periods_milestones_and_both_sides(
    new_customer: Account, champion: Contact, carol: Member, workspace: Workspace
) -> None:
    journey_start(account=new_customer)
    sibling = account_services.account_create(workspace=workspace, actor=None, via="test", name="Umbrella Corp")
    services.plan_get_or_create(account=sibling, actor=carol)
    _, raw = services.shared_link_create(account=new_customer, actor=carol, purpose="onboarding_plan")

    html = _page(raw)

    first, second, third = html.split("First 30 days")[1], html.split("Days 31–60")[1], html.split("Days 61–90")[1]
    first = first.split("Days 31–60")[0]
    assert "Success milestones:" in first and "Technical set-up" in first and "Oriented" in first
    assert "Kick-off call: roles, responsibilities and this plan" in first
    assert "Migrate the blog, connect the CRM and install the tracking code" in first
    assert "Jane Doe" in first and carol.display_name in first
    assert "Initial value" in second.split("Days 61–90")[0]
    assert "Biweekly adoption call (week 11)" in third
    assert "What Globex does" in html
    # Nothing else of the workspace: no other account, no links, no ids.
    assert "Umbrella" not in html
    assert "/w/" not in html and "href=" not in html
    assert not re.search(rf"\b{new_customer.pk}/", html)


def test_a_revoked_onboarding_link_gets_404(new_customer: Account, carol: Member) -> None:
    journey_start(account=new_customer)
    link, raw = services.shared_link_create(account=new_customer, actor=carol, purpose="onboarding_plan")
    services.shared_link_revoke(link=link, actor=carol)
    assert Client().get(reverse("shared-plan", args=[raw])).status_code == 404


# The button on the success plan page ---------------------------------------------------------------


def _post(member: Member, account: Account) -> int:
    client = Client()
    client.force_login(member.user)
    url = reverse("success-plan", args=[account.workspace.slug, account.pk])
    return client.post(url, {"action": "onboarding"}).status_code


def test_the_plan_page_adds_the_30_60_90_day_plan_once(new_customer: Account, carol: Member) -> None:
    journey_start(account=new_customer, plan_onboarding=False)
    assert not Commitment.objects.filter(plan__account=new_customer).exists()
    assert _post(carol, new_customer) == 302
    assert _post(carol, new_customer) == 302
    texts = list(Commitment.objects.filter(plan__account=new_customer).values_list("description", flat=True))
    assert sorted(texts) == sorted(_texts("enterprise"))


def test_only_members_who_may_edit_add_it_and_outsiders_get_404(
    new_customer: Account, vic: Member, olga: Member
) -> None:
    assert _post(vic, new_customer) == 403
    assert _post(olga, new_customer) == 404
    assert not Commitment.objects.filter(plan__account=new_customer).exists()


def test_the_nightly_start_of_missing_journeys_plans_the_new_onboarding_accounts(
    workspace: Workspace, carol: Member
) -> None:
    from retain.journeys.services import journeys_start_missing

    today = workspace_today(workspace)
    fresh = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Fresh", tier="strategic", owner=carol, customer_since=today
    )
    old = account_services.account_create(
        workspace=workspace,
        actor=None,
        via="test",
        name="Old",
        tier="strategic",
        owner=carol,
        customer_since=today - dt.timedelta(days=120),
        stage="onboarding",  # still onboarding four months in (without a stage it would start in adoption)
    )
    assert journeys_start_missing(workspace=workspace) == 2
    texts = set(Commitment.objects.filter(plan__account=fresh).values_list("description", flat=True))
    assert texts == set(_texts("strategic"))
    assert not Commitment.objects.filter(plan__account=old).exists()
