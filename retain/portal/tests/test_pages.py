"""The portal's pages and actions: the contact's own account only (another account's ids are 404,
in this workspace or another), the customer's version only, the same services as the app's ticks,
questions into inbound routing, and a fixed number of queries per page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.health import services as health_services
from retain.journeys import services as journey_services
from retain.journeys.models import MilestoneProgress
from retain.plans import services as plan_services
from retain.plans.models import Commitment, PlanEvent
from retain.portal import services
from retain.portal.choices import ActivityKind, ResourceKind
from retain.portal.models import PortalActivity
from retain.portal.tests.conftest import signed_in_client
from retain.reports import pack as review_pack
from retain.reports import services as review_services
from retain.reports.models import BusinessReview
from retain.routing.choices import Source
from retain.routing.models import InboundMessage
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db

PAGES = ("/portal/", "/portal/commitments/", "/portal/path/", "/portal/reviews/", "/portal/resources/", "/portal/ask/")


def _held_review(account: Account, contact: Contact, owner: Member) -> BusinessReview:
    today = dt.date.today()
    quarter = f"{today.year - 1}Q4"
    review = review_services.review_create(account=account, actor=owner, period=quarter)
    review_services.review_prepare(review=review, actor=owner, today=today)
    return review_services.review_hold(
        review=review, actor=owner, held_on=today - dt.timedelta(days=3), contacts=[contact], members=[owner],
        decisions="Keep the blog cadence", feedback="Happy with the leads", sentiment="positive",
    )  # fmt: skip


def _their_commitment(account: Account) -> Commitment:
    return Commitment.objects.filter(plan__account=account, owner_contact__isnull=False).order_by("id").first()  # type: ignore[return-value]


def _our_commitment(account: Account) -> Commitment:
    return Commitment.objects.filter(plan__account=account, owner_member__isnull=False).order_by("id").first()  # type: ignore[return-value]


def _oriented(account: Account) -> MilestoneProgress:
    return MilestoneProgress.objects.get(account=account, key="oriented")


def test_every_page_shows_the_contacts_own_account(jane_client: Client, initech: Account, bob: Contact) -> None:
    for url in PAGES:
        response = jane_client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "Globex" in text and "Initech" not in text and "bob@initech.example" not in text, url
    assert "Globex doubles inbound leads" in jane_client.get("/portal/").content.decode()
    assert "Leads a month" in jane_client.get("/portal/").content.decode()
    path = jane_client.get("/portal/path/").content.decode()
    assert "Technical set-up" in path and "Oriented" in path
    assert "Reached when your renewal is signed." in path  # the Renewal milestone, not product use


def test_anyone_not_signed_in_is_sent_to_the_sign_in_page(globex: Account, alice: Member) -> None:
    member = Client()
    member.force_login(alice.user)
    review = _held_review(globex, globex.contacts.first(), alice)  # type: ignore[arg-type]
    commitment = _their_commitment(globex)
    for client in (Client(), member):
        for url in (*PAGES, f"/portal/reviews/{review.pk}/"):
            assert client.get(url)["Location"] == "/portal/sign-in/", url
        for url in (f"/portal/commitments/{commitment.pk}/tick/", f"/portal/milestones/{_oriented(globex).pk}/tick/"):
            assert client.post(url, {"done": "1"})["Location"] == "/portal/sign-in/", url
    commitment.refresh_from_db()
    assert commitment.status == "open"


def test_another_accounts_ids_are_404_for_every_action_and_page(
    jane_client: Client, initech: Account, bob: Contact, umbrella: Account, ursula: Contact, carol: Member, olga: Member
) -> None:
    for account, contact, owner in ((initech, bob, carol), (umbrella, ursula, olga)):
        review = _held_review(account, contact, owner)
        commitment = _their_commitment(account)
        progress = _oriented(account)
        assert jane_client.get(f"/portal/reviews/{review.pk}/").status_code == 404
        assert jane_client.post(f"/portal/commitments/{commitment.pk}/tick/", {"done": "1"}).status_code == 404
        tick = {"item": "Goals agreed", "ticked": "1"}
        assert jane_client.post(f"/portal/milestones/{progress.pk}/tick/", tick).status_code == 404
        commitment.refresh_from_db()
        progress.refresh_from_db()
        assert commitment.status == "open" and progress.ticks == {}
    assert not PortalActivity.objects.filter(kind=ActivityKind.TICK).exists()


def test_ticking_a_commitment_of_their_side_uses_the_plans_service_and_writes_the_timeline(
    jane_client: Client, globex: Account, jane: Contact
) -> None:
    commitment = _their_commitment(globex)
    response = jane_client.post(f"/portal/commitments/{commitment.pk}/tick/", {"done": "1"})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "done"
    assert PlanEvent.objects.filter(plan=commitment.plan, summary__contains="Open → Done").exists()
    entry = TimelineEntry.objects.get(account=globex, kind=EntryKind.PORTAL_ACTION)
    assert entry.contact_id == jane.pk and commitment.description in entry.summary and entry.actor_label == "portal"
    assert "Not done after all" in jane_client.get("/portal/commitments/").content.decode()


def test_our_sides_commitments_are_not_the_customers_to_tick(jane_client: Client, globex: Account) -> None:
    commitment = _our_commitment(globex)
    response = jane_client.post(f"/portal/commitments/{commitment.pk}/tick/", {"done": "1"})
    assert response.status_code == 400
    assert "only the customer" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.status == "open"


def test_ticking_every_checklist_item_completes_the_milestone_as_a_tick_in_the_app_does(
    jane_client: Client, globex: Account
) -> None:
    progress = _oriented(globex)
    items = ["Kick-off call held", "Admins trained", "Goals agreed"]
    for item in items:
        assert (
            jane_client.post(f"/portal/milestones/{progress.pk}/tick/", {"item": item, "ticked": "1"}).status_code
            == 302
        )
    progress.refresh_from_db()
    assert progress.completed_on is not None and set(progress.ticks) == set(items)
    kinds = list(TimelineEntry.objects.filter(account=globex).values_list("kind", flat=True))
    assert kinds.count(EntryKind.MILESTONE_COMPLETED) == 1 and kinds.count(EntryKind.PORTAL_ACTION) == 3
    # A data milestone is not the customer's to tick, nor an item the checklist does not have.
    setup = MilestoneProgress.objects.get(account=globex, key="technical-setup")
    assert jane_client.post(f"/portal/milestones/{setup.pk}/tick/", {"item": "x", "ticked": "1"}).status_code == 400
    bad = jane_client.post(f"/portal/milestones/{progress.pk}/tick/", {"item": "Nope", "ticked": "1"})
    assert bad.status_code == 400 and "must be one of" in bad.content.decode()


def test_a_question_enters_inbound_routing_as_a_portal_message(
    jane_client: Client, globex: Account, jane: Contact
) -> None:
    assert jane_client.post("/portal/ask/", {"text": "  "}).status_code == 400
    response = jane_client.post("/portal/ask/", {"text": "How do I connect our CRM?\nWe use Pipedrive."})
    assert response.status_code == 302
    message = InboundMessage.objects.get(workspace=globex.workspace)
    assert message.source == Source.PORTAL and message.account_id == globex.pk and message.contact_id == jane.pk
    assert message.subject == "How do I connect our CRM?"
    assert PortalActivity.objects.filter(account=globex, kind=ActivityKind.QUESTION).count() == 1
    assert TimelineEntry.objects.filter(
        account=globex, kind=EntryKind.PORTAL_ACTION, summary__contains="Pipedrive"
    ).exists()


def test_resources_follow_the_accounts_stage_and_edition(jane_client: Client, globex: Account, alice: Member) -> None:
    today = dt.date.today()

    def add(title: str, stages: list[str], editions: list[str]) -> None:
        services.resource_save(
            workspace=globex.workspace, actor=alice, title=title,
            url="https://kb.example.com/" + title.replace(" ", "-"), kind=ResourceKind.KB_ARTICLE,
            stages=stages, editions=editions, refreshed_on=today,
        )  # fmt: skip

    add("Getting started", ["onboarding"], [])
    add("Renewal checklist", ["renewal"], [])
    add("Enterprise SSO", [], ["enterprise"])
    add("Everyone", [], [])
    page = jane_client.get("/portal/resources/").content.decode()
    assert "Getting started" in page and "Everyone" in page
    assert "Renewal checklist" not in page and "Enterprise SSO" not in page
    assert f"last refreshed {today:%Y-%m-%d}" in page


def _internal_world(account: Account, contact: Contact, owner: Member) -> list[str]:
    """Internal notes on the account, each with a marker the portal must never show."""
    marker = f"SECRET-{account.pk}"
    account_services.touchpoint_log(
        account=account, actor=owner, via="test", kind="call", occurred_at=timezone.now(),
        summary=f"{marker} touchpoint: budget cut coming", member=owner,
    )  # fmt: skip
    health_services.pulse_set(account=account, actor=owner, value=1, note=f"{marker} pulse: sponsor unhappy")
    journey_services.barrier_add(
        progress=_oriented(account), kind="customer_challenge", title="No admin named", owner=owner,
        note=f"{marker} barrier: they may churn",
    )  # fmt: skip
    _held_review(account, contact, owner)
    return [marker]


def test_no_internal_field_reaches_the_portal_on_any_account(
    globex: Account, jane: Contact, initech: Account, bob: Contact, carol: Member
) -> None:
    markers = [*_internal_world(globex, jane, carol), *_internal_world(initech, bob, carol)]
    forbidden = [
        *markers,
        *review_pack.INTERNAL_SECTION_TITLES,
        "Health",
        "health",
        "Churn",
        "churn",
        "Expansion",
        "MRR",
    ]
    for account, contact in ((globex, jane), (initech, bob)):
        client = signed_in_client(contact)
        review = BusinessReview.objects.get(account=account)
        assert "internal" in review.pack  # the team's version has it …
        for url in PAGES:
            text = client.get(url).content.decode()
            shown = [word for word in forbidden if word in text]
            assert shown == [], (account.name, url, shown)  # … the customer's never
        # The review is the QBR's customer version (reports.pack.customer_pack): its figures name
        # their sources ("health measure seat_utilisation", "ARR = 12 × MRR"), but no internal section.
        text = client.get(f"/portal/reviews/{review.pk}/").content.decode()
        shown = [word for word in (*markers, *review_pack.INTERNAL_SECTION_TITLES) if word in text]
        assert shown == [], (account.name, "review", shown)
        assert review.period in text and account.name in text


def _grow(account: Account, contact: Contact, owner: Member, n: int) -> None:
    """n more goals (each with a metric), commitments, resources and held reviews."""
    plan = plan_services.plan_get_or_create(account=account, actor=owner)
    today = dt.date.today()
    for i in range(n):
        goal = plan_services.goal_add(plan=plan, actor=owner, title=f"Goal {i}")
        objective = plan_services.objective_add(goal=goal, actor=owner, title=f"Objective {i}")
        plan_services.metric_add(
            objective=objective, actor=owner, name=f"Metric {i}", start_value=Decimal(0), target_value=Decimal(10)
        )
        plan_services.commitment_add(plan=plan, actor=owner, description=f"Ours {i}", due_on=today, owner_member=owner)
        plan_services.commitment_add(
            plan=plan, actor=owner, description=f"Theirs {i}", due_on=today, owner_contact=contact
        )
        services.resource_save(
            workspace=account.workspace, actor=owner, title=f"Resource {i}", url=f"https://kb.example.com/{i}",
            kind=ResourceKind.WEBINAR, stages=[], editions=[], refreshed_on=today,
        )  # fmt: skip
        year = 2000 + i + n
        BusinessReview.objects.create(
            workspace=account.workspace, account=account, period=f"{year}Q1", starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year, 3, 31), status="held", pack={"sections": {}},
        )  # fmt: skip


def _counts(client: Client) -> dict[str, int]:
    counts = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    return counts


def test_portal_pages_keep_a_fixed_number_of_queries(
    jane_client: Client, globex: Account, jane: Contact, carol: Member
) -> None:
    _grow(globex, jane, carol, 2)
    few = _counts(jane_client)
    _grow(globex, jane, carol, 10)
    many = _counts(jane_client)
    assert few == many
    assert max(few.values()) <= 12, few
