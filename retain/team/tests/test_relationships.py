"""Hand-offs from sales, stakeholder maps and account groups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.plans.models import Commitment, Goal
from retain.renewals.tests.conftest import give_health
from retain.tasks.models import Task
from retain.team import selectors, services
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace


def test_a_handoff_seeds_the_success_plan_and_the_kickoff_task_shows_it(workspace: Workspace, erin: Member) -> None:
    account = new_account(workspace, "Initech", owner=erin)
    handoff = services.handoff_record(
        account=account,
        actor=None,
        source="api",
        sold="Marketing Hub Enterprise, 50 seats, 2 years",
        goals=["Double inbound leads this year", "Retire the old e-mail tool"],
        stakeholders=[{"name": "Bill Lumbergh", "email": "bill@initech.example", "role": "VP Sales"}],
        promises=[{"what": "Salesforce sync", "by": "2027-02-01"}, {"what": "Training for 10 editors"}],
        risks=["The IT team is stretched"],
    )
    assert list(Goal.objects.filter(plan__account=account).values_list("title", flat=True)) == [
        "Double inbound leads this year",
        "Retire the old e-mail tool",
    ]
    commitments = Commitment.objects.filter(plan__account=account).order_by("due_on")
    assert {(c.description, c.owner_member, c.due_on) for c in commitments} == {
        ("Promised in the sale: Training for 10 editors", erin, dt.date.today() + dt.timedelta(days=30)),
        ("Promised in the sale: Salesforce sync", erin, dt.date(2027, 2, 1)),
    }
    kickoff = Task.objects.get(account=account, source_ref=f"handoff:{handoff.pk}")
    assert kickoff.owner == erin and kickoff.title == "Kickoff call with Initech"
    assert "Sold: Marketing Hub Enterprise, 50 seats, 2 years" in kickoff.description
    assert "- Salesforce sync by 2027-02-01" in kickoff.description
    assert "- Bill Lumbergh, VP Sales" in kickoff.description


def test_a_bad_handoff_names_the_field_and_writes_nothing(workspace: Workspace, erin: Member) -> None:
    account = new_account(workspace, "Initech", owner=erin)
    with pytest.raises(ValidationError) as caught:
        services.handoff_record(
            account=account,
            actor=None,
            source="api",
            sold="Hub",
            goals=["Grow"],
            promises=[{"what": "Sync", "by": "soon"}],
        )
    assert caught.value.message_dict == {"promises[0].by": ["must be a date (YYYY-MM-DD)"]}
    assert not Goal.objects.exists() and not Task.objects.exists()


def test_the_stakeholder_map_flags_a_missing_sponsor_and_a_single_thread(workspace: Workspace, erin: Member) -> None:
    account = new_account(workspace, "Umbrella", tier="strategic", owner=erin)
    ada = account_services.contact_create(
        account=account, actor=None, via="test", first_name="Ada", email="ada@umbrella.example", role="champion"
    )
    gaps = selectors.stakeholder_map(account).gaps
    assert gaps == [
        "No executive sponsor: the coverage model requires one on strategic accounts",
        "Single-threaded: Ada is the only active contact",
    ]
    bob = account_services.contact_create(
        account=account, actor=None, via="test", first_name="Bob", email="bob@umbrella.example"
    )
    services.stakeholder_set(
        contact=bob, actor=erin, influence="decision_maker", sentiment="positive", is_executive_sponsor=True
    )
    services.stakeholder_set(contact=ada, actor=erin, influence="blocker", sentiment="negative")
    stakeholders = selectors.stakeholder_map(account)
    assert stakeholders.gaps == []
    assert stakeholders.sponsor is not None and stakeholders.sponsor.contact == bob
    assert [(r.contact.first_name, r.influence, r.sentiment) for r in stakeholders.rows] == [
        ("Bob", "decision_maker", "positive"),
        ("Ada", "blocker", "negative"),
    ]


def test_a_group_rolls_up_arr_health_and_renewals_and_a_child_keeps_its_own_view(
    workspace: Workspace, erin: Member
) -> None:
    parent = new_account(workspace, "Wayne Enterprises", owner=erin, mrr=1000)
    child = new_account(workspace, "Wayne Foods", owner=erin, mrr=500)
    new_account(workspace, "Alone", owner=erin)
    services.subsidiary_link(parent=parent, child=child, actor=None)
    with pytest.raises(ValidationError, match="is itself a subsidiary"):
        services.subsidiary_link(parent=child, child=parent, actor=None)
    for account, score, band in ((parent, 80.0, "green"), (child, 20.0, "red")):
        give_health(account, band, dt.date.today(), score)
    group = selectors.group_of(child)
    assert group is not None and group.parent == parent
    assert group.arr == Decimal(18000)
    assert round(group.health.value or 0) == 60  # (80 × 12,000 + 20 × 6,000) / 18,000
    assert group.health.worked == "(80 × 12,000 + 20 × 6,000) / 18,000 = 60"
    assert group.worst_band == "red"
    assert selectors.group_of(new_account(workspace, "Solo", owner=erin)) is None


def test_the_account_team_page_shows_the_map_the_handoff_and_the_group(
    workspace: Workspace, erin: Member, ed: Member
) -> None:
    parent = new_account(workspace, "Wayne Enterprises", owner=erin, mrr=1000)
    child = new_account(workspace, "Wayne Foods", owner=erin, mrr=500)
    services.subsidiary_link(parent=parent, child=child, actor=None)
    services.handoff_record(account=child, actor=None, source="web", sold="Starter plan")
    contact = account_services.contact_create(
        account=child, actor=None, via="test", first_name="Lucius", email="lucius@wayne.example"
    )
    client = Client()
    client.login(username=erin.user.username, password=PASSWORD)
    page = client.get(f"/w/acme/accounts/{child.pk}/team/").content.decode()
    assert "Sold: Starter plan" in page and "Part of" in page and "Single-threaded: Lucius" in page
    saved = client.post(
        f"/w/acme/accounts/{child.pk}/team/",
        {"contact": contact.pk, "influence": "champion", "sentiment": "positive", "is_executive_sponsor": "on"},
    )
    assert saved.status_code == 302
    assert selectors.stakeholder_map(child).sponsor is not None
    other = Client()
    other.login(username=ed.user.username, password=PASSWORD)
    assert (
        other.post(
            f"/w/acme/accounts/{child.pk}/team/", {"contact": contact.pk, "influence": "user", "sentiment": "neutral"}
        ).status_code
        == 403
    )
