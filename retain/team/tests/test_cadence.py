from __future__ import annotations

import datetime as dt

from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.selectors import workspace_today
from retain.health.measures import compute_measures
from retain.playbooks import engine
from retain.playbooks import snapshot as playbook_snapshot
from retain.playbooks.services import playbook_save
from retain.team import selectors
from retain.team.cadence import KIND
from retain.team.choices import CadenceStatus
from retain.team.coverage import DEFAULT_PATH
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace

PLAYBOOK = DEFAULT_PATH.with_name("cadence-call-overdue.yaml").read_text()


def _call(account: object, member: Member, days_ago: int, kind: str = "call") -> None:
    account_services.touchpoint_log(
        account=account,  # type: ignore[arg-type]
        actor=member,
        via="test",
        kind=kind,
        summary="Check-in",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_cadence_compares_the_last_expected_touch_with_the_tiers_cadence_for_the_stage(
    workspace: Workspace, erin: Member
) -> None:
    kept = new_account(workspace, "Kept", tier="strategic", stage="adoption", owner=erin)
    late = new_account(workspace, "Late", tier="strategic", stage="adoption", owner=erin)
    mailed = new_account(workspace, "Mailed only", tier="strategic", stage="adoption", owner=erin)
    digital = new_account(workspace, "Community", tier="community", stage="adoption", owner=erin)
    _call(kept, erin, 3)
    _call(late, erin, 20)
    _call(mailed, erin, 1, kind="email")  # an e-mail is not one of strategic adoption's touches
    rows = selectors.workspace_cadence(workspace, owner=erin)
    assert rows[kept.pk].status == CadenceStatus.ON_TRACK
    assert rows[late.pk].status == CadenceStatus.OVERDUE and rows[late.pk].overdue_days == 6
    assert rows[mailed.pk].status == CadenceStatus.NEVER
    assert rows[digital.pk].status == CadenceStatus.DIGITAL
    assert selectors.overdue_by_owner(workspace) == {erin.pk: [mailed.pk, late.pk]}


def test_cadence_is_a_health_measure_and_a_snapshot_attribute(workspace: Workspace, erin: Member) -> None:
    late = new_account(workspace, "Late", tier="strategic", stage="adoption", owner=erin)
    never = new_account(workspace, "Never", tier="strategic", stage="adoption", owner=erin)
    digital = new_account(workspace, "Community", tier="community", stage="adoption", owner=erin)
    _call(late, erin, 21)
    today = workspace_today(workspace)
    values = compute_measures(workspace, [late.pk, never.pk, digital.pk], today, kinds=[KIND])
    assert values[late.pk][KIND] == 1.5
    assert values[never.pk][KIND] == 2.0
    assert values.get(digital.pk, {}).get(KIND) is None
    snaps = playbook_snapshot.build(workspace, today, [late.pk, digital.pk])
    assert snaps[late.pk]["cadence.overdue_days"] == 7 and snaps[late.pk]["cadence.expected_days"] == 14
    assert snaps[digital.pk]["cadence.status"] == "digital" and "cadence.expected_days" not in snaps[digital.pk]
    # As of a day before the call, the account had never been called.
    before = playbook_snapshot.build(workspace, today - dt.timedelta(days=22), [late.pk])
    assert before[late.pk]["cadence.status"] == "never"


def test_a_playbook_data_trigger_fires_when_the_adoption_call_is_overdue(
    workspace: Workspace, mark: Member, erin: Member
) -> None:
    late = new_account(workspace, "Late", tier="strategic", stage="adoption", owner=erin)
    kept = new_account(workspace, "Kept", tier="strategic", stage="adoption", owner=erin)
    _call(late, erin, 20)
    _call(kept, erin, 2)
    playbook = playbook_save(workspace=workspace, definition_yaml=PLAYBOOK, actor=mark)
    today = workspace_today(workspace)
    # A data trigger fires on the day its condition turns true: the call was due 6 days ago.
    due = engine.plan(
        workspace=workspace, playbooks=[playbook], start=today - dt.timedelta(days=10), end=today, dry_run=True
    )
    assert [(o.account_name, o.due_at.date()) for o in due] == [("Late", today - dt.timedelta(days=5))]
