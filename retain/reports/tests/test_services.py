"""A review's life: created by hand, prepared, held (a meeting on the timeline), followed up into
the success plan and tasks exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.choices import EntryKind, TouchpointKind
from retain.accounts.models import Account, Contact, TimelineEntry, Touchpoint
from retain.plans.models import Commitment, Objective
from retain.reports import periods, services
from retain.reports.choices import ReviewStatus
from retain.reports.models import BusinessReview
from retain.tasks.models import Task
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db


def _held(account: Account, carol: Member, jane: Contact) -> BusinessReview:
    review = services.review_create(account=account, actor=carol, period="2026Q4", agenda="Value, usage, next quarter")
    review = services.review_prepare(review=review, actor=carol, today=dt.date(2026, 11, 20))
    return services.review_hold(
        review=review,
        actor=carol,
        held_on=dt.date(2026, 11, 25),
        contacts=[jane],
        members=[carol],
        decisions="Roll out workflows to the sales team",
        feedback="Wants better attribution reports",
        sentiment="positive",
    )


def test_a_period_is_a_year_and_a_quarter() -> None:
    quarter = periods.parse("2026q4")
    assert (quarter.name, quarter.start, quarter.end) == ("2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert periods.parse("2026Q1").previous().name == "2025Q4"
    with pytest.raises(ValueError, match="like 2026Q4"):
        periods.parse("2026-4")


def test_a_review_by_hand_names_a_bad_period_and_refuses_a_second_one_for_the_quarter(
    account: Account, carol: Member
) -> None:
    with pytest.raises(ValidationError) as bad:
        services.review_create(account=account, actor=carol, period="Q4")
    assert "period" in bad.value.message_dict
    services.review_create(account=account, actor=carol, period="2026Q4")
    with pytest.raises(ValidationError, match="already has a review"):
        services.review_create(account=account, actor=carol, period="2026Q4")


def test_preparing_builds_the_pack_and_a_narrative_to_start_from(account: Account, carol: Member) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4")
    assert review.status == ReviewStatus.PLANNED and not review.pack
    review = services.review_prepare(review=review, actor=carol, today=dt.date(2026, 11, 20))
    assert review.status == ReviewStatus.PREPARED
    assert review.pack["period"]["as_of"] == "2026-11-20"
    assert set(review.narrative) == {"summary", "wins", "challenges", "recommendations"}
    assert "Globex" in review.narrative["summary"]


def test_a_review_is_held_before_it_is_followed_up(account: Account, carol: Member) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4")
    with pytest.raises(ValidationError, match="cannot become held"):
        services.review_hold(
            review=review, actor=carol, held_on=dt.date(2026, 11, 25), contacts=[], members=[],
            decisions="x", feedback="", sentiment="neutral",
        )  # fmt: skip
    with pytest.raises(ValidationError, match="after it is held"):
        services.review_follow_up(review=review, actor=carol)


def test_holding_logs_a_meeting_on_the_timeline(account: Account, carol: Member, jane: Contact) -> None:
    review = _held(account, carol, jane)
    assert review.status == ReviewStatus.HELD
    assert review.held_touchpoint_id is not None
    touchpoint = Touchpoint.objects.get(pk=review.held_touchpoint_id)
    assert touchpoint.kind == TouchpointKind.MEETING
    assert "Roll out workflows" in touchpoint.summary
    assert list(touchpoint.contacts.all()) == [jane]
    assert TimelineEntry.objects.filter(account=account, kind=EntryKind.TOUCHPOINT_LOGGED).exists()


def test_following_up_twice_writes_the_accepted_proposals_once(account: Account, carol: Member, jane: Contact) -> None:
    review = _held(account, carol, jane)
    services.review_proposals_update(
        review=review,
        actor=carol,
        proposals=[
            {"kind": "objective", "text": "Adopt workflows", "due_on": "2027-03-31", "accepted": True},
            {"kind": "commitment", "text": "Train the sales team", "side": "us", "owner_member": carol.pk,
             "due_on": "2027-01-31", "accepted": True},
            {"kind": "commitment", "text": "Name a workflow owner", "side": "customer", "owner_contact": jane.pk,
             "due_on": "2027-01-15", "accepted": True},
            {"kind": "commitment", "text": "Not agreed", "side": "customer", "owner_contact": jane.pk,
             "due_on": "2027-01-15", "accepted": False},
        ],
    )  # fmt: skip
    review = services.review_follow_up(review=review, actor=carol)
    review = services.review_follow_up(review=review, actor=carol)
    assert review.status == ReviewStatus.FOLLOWED_UP
    assert list(Objective.objects.filter(goal__plan__account=account).values_list("title", flat=True)) == [
        "Adopt workflows"
    ]
    commitments = Commitment.objects.filter(plan__account=account).order_by("due_on")
    assert [(c.description, c.owner_contact_id, c.owner_member_id) for c in commitments] == [
        ("Name a workflow owner", jane.pk, None),
        ("Train the sales team", None, carol.pk),
    ]
    tasks = Task.objects.filter(account=account, source_ref__startswith=f"business-review:{review.id}:")
    assert [(t.title, t.owner_id, t.due_on) for t in tasks] == [
        ("Train the sales team", carol.pk, dt.date(2027, 1, 31))
    ]


def test_a_proposal_with_a_bad_field_is_refused_by_its_place(account: Account, carol: Member) -> None:
    review = services.review_create(account=account, actor=carol, period="2026Q4")
    with pytest.raises(ValidationError) as refused:
        services.review_proposals_update(
            review=review,
            actor=carol,
            proposals=[
                {"kind": "objective", "text": "Fine", "due_on": "2027-01-01"},
                {"kind": "objective", "text": "x", "due_on": "soon"},
            ],
        )
    assert list(refused.value.message_dict) == ["proposals[1].due_on"]
    review.refresh_from_db()
    assert review.proposals == []


def test_a_customer_link_expires_and_can_be_revoked(account: Account, carol: Member) -> None:
    from retain.reports.selectors import review_link_resolve

    review = services.review_create(account=account, actor=carol, period="2026Q4")
    with pytest.raises(ValidationError, match="prepare the review"):
        services.review_link_create(review=review, actor=carol)
    review = services.review_prepare(review=review, actor=carol, today=dt.date(2026, 11, 20))
    link, raw = services.review_link_create(review=review, actor=carol, days=7)
    assert review_link_resolve(raw) == link
    services.review_link_revoke(link=link, actor=carol)
    assert review_link_resolve(raw) is None
    with pytest.raises(ValidationError, match="between 1 and 365"):
        services.review_link_create(review=review, actor=carol, days=0)


def test_qbr_coverage_counts_reviews_held_in_the_last_100_days_per_csm_and_tier(
    account: Account, carol: Member, jane: Contact
) -> None:
    from retain.accounts import services as account_services
    from retain.reports.selectors import qbr_coverage

    other = account_services.account_create(
        workspace=account.workspace, actor=None, via="test", name="Initech", tier="strategic", owner=carol
    )
    _held(account, carol, jane)  # held 2026-11-25
    coverage = qbr_coverage(account.workspace, today=dt.date(2026, 12, 6))
    assert coverage.overall.worked == "QBR coverage = 1 / 2 = 50%"
    assert [(r.label, r.figure.value) for r in coverage.by_tier] == [("Strategic", 0.0), ("Enterprise", 100.0)]
    by_owner = [(r.label, r.figure.inputs) for r in coverage.by_owner]
    assert by_owner == [(carol.display_name, {"covered": 1, "customers": 2})]
    assert [o.name for o in coverage.overdue] == [other.name]
    later = qbr_coverage(account.workspace, today=dt.date(2027, 3, 10))  # 105 days after the meeting
    assert later.overall.value == 0.0 and later.overdue[0].last_held_on is None
