from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account
from retain.journeys.choices import MilestoneStatus
from retain.journeys.models import Journey, MilestoneProgress
from retain.journeys.services import journey_start, journeys_advance, milestone_tick
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage

START = dt.date(2026, 9, 1)
SETUP_EVENTS = ("Blog Migrated", "CRM Integrated", "Tracking Code Installed")


def _usage(account: Account, day: dt.date, events: int = 10, **key_events: int) -> None:
    DailyAccountUsage.objects.update_or_create(
        account=account,
        day=day,
        defaults={"workspace_id": account.workspace_id, "events": events, "key_events": key_events},
    )


def _seen(account: Account, day: dt.date, *names: str) -> None:
    _usage(account, day, **{name: 1 for name in names})


def _progress(account: Account, key: str) -> MilestoneProgress:
    return MilestoneProgress.objects.get(account=account, key=key)


@pytest.fixture
def journey(account: Account) -> Journey:
    return journey_start(account=account, started_on=START)


def test_an_enterprise_account_starts_on_the_critical_path_with_due_dates(journey: Journey) -> None:
    assert journey.template.key == "critical-path"
    setup = _progress(journey.account, "technical-setup")
    assert setup.due_on == START + dt.timedelta(weeks=1)
    assert _progress(journey.account, "renewal").due_on == START + dt.timedelta(weeks=52)
    assert setup.status == MilestoneStatus.NOT_STARTED


def test_a_community_account_gets_the_lighter_template(workspace: Workspace) -> None:
    small = account_services.account_create(workspace=workspace, actor=None, via="test", name="Tiny", tier="community")
    journey = journey_start(account=small, started_on=START)
    assert journey.template.key == "community-path"
    assert journey.progress.count() == 3


def test_a_data_milestone_completes_itself_with_evidence(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=2), "Blog Migrated")
    _seen(account, START + dt.timedelta(days=4), "CRM Integrated", "Tracking Code Installed")

    result = journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=5))

    setup = _progress(account, "technical-setup")
    assert result.completed == 1
    assert setup.status == MilestoneStatus.DONE
    assert setup.completed_on == START + dt.timedelta(days=4)
    assert "Blog Migrated on 2026-09-03" in setup.evidence["summary"]
    assert setup.evidence["events"]["CRM Integrated"] == "2026-09-05"


def test_events_before_the_journey_started_are_not_evidence(journey: Journey) -> None:
    account = journey.account
    _seen(account, START - dt.timedelta(days=1), *SETUP_EVENTS)
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=3))
    assert _progress(account, "technical-setup").completed_on is None


def test_a_milestone_completed_after_its_due_date_is_done_late(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=10), *SETUP_EVENTS)
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=12))
    assert _progress(account, "technical-setup").status == MilestoneStatus.DONE_LATE


def test_a_late_evaluation_does_not_make_an_on_time_milestone_late(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=3), *SETUP_EVENTS)
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=30))
    assert _progress(account, "technical-setup").status == MilestoneStatus.DONE


def test_partial_evidence_before_the_due_date_is_on_track(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=1), "Blog Migrated")
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=3))
    setup = _progress(account, "technical-setup")
    assert setup.status == MilestoneStatus.ON_TRACK
    assert setup.last_progress_on == START + dt.timedelta(days=1)


def test_a_milestone_past_due_is_behind_then_stuck_after_two_weeks(journey: Journey) -> None:
    account = journey.account
    due = START + dt.timedelta(weeks=1)
    journeys_advance(workspace=account.workspace, today=due + dt.timedelta(days=3))
    assert _progress(account, "technical-setup").status == MilestoneStatus.BEHIND

    journeys_advance(workspace=account.workspace, today=due + dt.timedelta(days=15))
    assert _progress(account, "technical-setup").status == MilestoneStatus.STUCK


def test_a_past_due_milestone_with_no_progress_for_three_weeks_is_stuck(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=1), "Blog Migrated")
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=23))
    # 16 days overdue would be stuck anyway; 10 days overdue with 22 quiet days is stuck too.
    assert _progress(account, "technical-setup").status == MilestoneStatus.STUCK

    other = _progress(account, "oriented")
    other.last_progress_on = START + dt.timedelta(days=10)
    other.save()
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=20))
    assert _progress(account, "oriented").status == MilestoneStatus.BEHIND


def test_leads_flowing_needs_five_leads_in_fourteen_days(journey: Journey) -> None:
    account = journey.account
    today = START + dt.timedelta(days=20)
    _seen(account, START + dt.timedelta(days=5), "Workflow Activated", "Blog Post Published")
    _usage(account, START + dt.timedelta(days=2), **{"Lead Created": 9})  # too long ago
    _usage(account, today - dt.timedelta(days=1), **{"Lead Created": 4})
    journeys_advance(workspace=account.workspace, today=today)
    assert _progress(account, "active").completed_on is None

    _usage(account, today, **{"Lead Created": 1})
    journeys_advance(workspace=account.workspace, today=today)
    active = _progress(account, "active")
    assert active.completed_on == today
    assert "Lead Created ×5 in 14 days" in active.evidence["summary"]


def test_initial_value_moves_an_onboarding_account_to_adoption(journey: Journey) -> None:
    account = journey.account
    today = START + dt.timedelta(days=40)
    for offset in range(25):
        _usage(account, today - dt.timedelta(days=offset))
    _seen(account, today - dt.timedelta(days=30), "Attribution Report Built")

    result = journeys_advance(workspace=account.workspace, today=today)

    account.refresh_from_db()
    assert result.moved_to_adoption == 1
    assert account.stage == "adoption"
    entry = account.timeline.get(kind=EntryKind.STAGE_CHANGED)
    assert entry.summary == "Stage: onboarding → adoption — the initial value milestone was reached"
    assert entry.data == {
        "from": "onboarding",
        "to": "adoption",
        "reason": "the initial value milestone was reached",
        "auto": True,
    }
    assert not account.timeline.filter(kind=EntryKind.ACCOUNT_UPDATED).exists()


def test_a_completed_milestone_is_written_on_the_timeline_once(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=3), *SETUP_EVENTS)
    today = START + dt.timedelta(days=12)

    journeys_advance(workspace=account.workspace, today=today)
    journeys_advance(workspace=account.workspace, today=today)
    journeys_advance(workspace=account.workspace, today=today + dt.timedelta(days=1))

    entry = account.timeline.get(kind=EntryKind.MILESTONE_COMPLETED)
    assert entry.data == {
        "key": "technical-setup",
        "name": "Technical set-up",
        "template": "critical-path",
        "late": False,
        "completed_on": (START + dt.timedelta(days=3)).isoformat(),
        "evidence": entry.data["evidence"],
    }
    assert "Blog Migrated on 2026-09-04" in entry.data["evidence"]
    assert entry.summary.startswith("Milestone Technical set-up completed: ")
    assert entry.occurred_at.date() == START + dt.timedelta(days=3)


def test_a_late_milestone_says_so(journey: Journey) -> None:
    account = journey.account
    _seen(account, START + dt.timedelta(days=20), *SETUP_EVENTS)
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=21))
    entry = account.timeline.get(kind=EntryKind.MILESTONE_COMPLETED)
    assert entry.data["late"] is True
    assert entry.summary.startswith("Milestone Technical set-up completed late")


def test_only_the_accounts_asked_for_are_evaluated(journey: Journey, workspace: Workspace) -> None:
    other = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="enterprise"
    )
    journey_start(account=other, started_on=START)
    _seen(other, START + dt.timedelta(days=1), *SETUP_EVENTS)
    journeys_advance(workspace=workspace, account_ids=[journey.account_id], today=START + dt.timedelta(days=2))
    assert _progress(other, "technical-setup").completed_on is None


def _accounts(workspace: Workspace, count: int) -> None:
    for index in range(count):
        account = account_services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Account {index}", tier="enterprise"
        )
        journey_start(account=account, started_on=START)
        _seen(account, START + dt.timedelta(days=1), *SETUP_EVENTS)


def _count_queries(workspace: Workspace) -> int:
    MilestoneProgress.objects.filter(workspace=workspace).update(completed_on=None, status="not_started")
    with CaptureQueriesContext(connection) as queries:
        journeys_advance(workspace=workspace, today=START + dt.timedelta(days=3))
    return len(queries)


def test_evaluation_costs_the_same_queries_for_two_accounts_or_twenty(workspace: Workspace) -> None:
    _accounts(workspace, 2)
    few = _count_queries(workspace)
    _accounts(workspace, 18)
    many = _count_queries(workspace)
    assert few == many
    # Six, and one for the success plans' goals the measured Achievement reads.
    assert few <= 7


def test_a_ticked_checklist_milestone_is_written_once_even_when_ticked_again(journey: Journey) -> None:
    account = journey.account
    oriented = _progress(account, "oriented")
    for item in ("Kick-off call held", "Admins trained", "Goals agreed"):
        oriented = milestone_tick(progress=oriented, item=item, actor=None, today=START + dt.timedelta(days=5))
    oriented = milestone_tick(progress=oriented, item="Goals agreed", actor=None, ticked=False, today=START)
    oriented = milestone_tick(progress=oriented, item="Goals agreed", actor=None, today=START + dt.timedelta(days=6))
    journeys_advance(workspace=account.workspace, today=START + dt.timedelta(days=7))

    entry = account.timeline.get(kind=EntryKind.MILESTONE_COMPLETED)
    assert (entry.data["key"], entry.data["template"], entry.data["late"]) == ("oriented", "critical-path", False)
    assert "Kick-off call held ticked on 2026-09-06" in entry.summary


def test_milestones_reading_a_window_complete_on_the_evaluation_day() -> None:
    from retain.journeys.defaults import CRITICAL_PATH
    from retain.journeys.evaluation import reads_a_window

    reading = {m["key"] for m in CRITICAL_PATH["milestones"] if m["kind"] == "data" and reads_a_window(m["criteria"])}
    assert reading == {"active", "progress", "initial-value"}
