from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account
from retain.journeys.models import MilestoneProgress
from retain.journeys.selectors import account_journey, barriers_report, milestone_status_counts
from retain.journeys.services import barrier_add, barrier_resolve, journey_start
from retain.tenancy.models import Member, Workspace

START = dt.date(2026, 9, 1)


def _setup(account: Account) -> MilestoneProgress:
    journey_start(account=account, started_on=START)
    return MilestoneProgress.objects.get(account=account, key="technical-setup")


def test_barriers_are_counted_across_accounts(workspace: Workspace, account: Account, carol: Member) -> None:
    other = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="enterprise"
    )
    ours, theirs = _setup(account), _setup(other)
    for progress in (ours, theirs):
        barrier_add(
            progress=progress, kind="customer_challenge", title="Blog migration is slow", owner=carol, today=START
        )
    resolved = barrier_add(progress=theirs, kind="our_issue", title="CRM connector bug", owner=carol, today=START)
    barrier_resolve(barrier=resolved, today=START + dt.timedelta(days=2))

    report = barriers_report(workspace, since=START, until=START + dt.timedelta(days=90))

    assert [r.words() for r in report] == [
        "Technical set-up: Blog migration is slow: 2 accounts",
        "Technical set-up: CRM connector bug: 1 account",
    ]
    assert (report[0].still_open, report[1].still_open) == (2, 0)


def test_a_barrier_has_exactly_one_owner(account: Account, carol: Member) -> None:
    progress = _setup(account)
    with pytest.raises(ValidationError) as error:
        barrier_add(progress=progress, kind="our_issue", title="Slow support")
    assert "owner" in error.value.message_dict


def test_an_outsider_cannot_own_a_barrier(account: Account, olga: Member) -> None:
    with pytest.raises(ValidationError) as error:
        barrier_add(progress=_setup(account), kind="our_issue", title="Slow support", owner=olga)
    assert "owner" in error.value.message_dict


def test_a_barrier_needs_a_known_kind_and_a_title(account: Account, carol: Member) -> None:
    progress = _setup(account)
    with pytest.raises(ValidationError) as error:
        barrier_add(progress=progress, kind="weather", title="", owner=carol)
    assert "kind" in error.value.message_dict


def test_the_account_journey_lists_milestones_in_order_with_barriers(account: Account, carol: Member) -> None:
    barrier_add(progress=_setup(account), kind="our_issue", title="CRM connector bug", owner=carol)
    journey, milestones = account_journey(account)
    assert journey is not None
    assert [m.key for m in milestones][:3] == ["technical-setup", "oriented", "active"]
    assert [b.title for b in milestones[0].barriers.all()] == ["CRM connector bug"]


def test_the_board_counts_accounts_per_milestone_and_status(workspace: Workspace, account: Account) -> None:
    _setup(account)
    MilestoneProgress.objects.filter(account=account, key="technical-setup").update(status="stuck")
    counts = milestone_status_counts(workspace)
    assert counts["Technical set-up"] == {"stuck": 1}
    assert counts["Oriented"] == {"not_started": 1}


def test_a_new_barrier_is_written_on_the_timeline(account: Account, carol: Member) -> None:
    progress = _setup(account)
    barrier = barrier_add(
        progress=progress,
        kind="customer_challenge",
        title="CRM integration blocked by customer IT",
        owner=carol,
        today=START,
        actor=carol,
    )
    entry = account.timeline.get(kind=EntryKind.BARRIER_OPENED)
    assert entry.actor == carol
    assert entry.summary == (
        "Barrier on Technical set-up: CRM integration blocked by customer IT "
        f"(customer challenge, {carol.display_name})"
    )
    assert entry.data == {
        "barrier_id": barrier.pk,
        "milestone": "technical-setup",
        "kind": "customer_challenge",
        "title": "CRM integration blocked by customer IT",
        "owner": carol.display_name,
    }


def test_a_refused_barrier_writes_nothing(account: Account, carol: Member) -> None:
    progress = _setup(account)
    with pytest.raises(ValidationError):
        barrier_add(progress=progress, kind="our_issue", title="", owner=carol)
    assert not account.timeline.filter(kind=EntryKind.BARRIER_OPENED).exists()
