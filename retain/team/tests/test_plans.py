from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.choices import EntryKind
from retain.accounts.models import TimelineEntry
from retain.tasks import services as task_services
from retain.tasks.models import Task
from retain.team import selectors, services
from retain.team.choices import PlanStatus
from retain.team.models import Assignment
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace


@pytest.fixture
def lopsided(workspace: Workspace, erin: Member, ed: Member) -> list[int]:
    """Erin holds five enterprise accounts (capacity 3), Ed one."""
    ids = [new_account(workspace, f"E{i}", owner=erin, mrr=1000 * (i + 1)).pk for i in range(5)]
    new_account(workspace, "D0", owner=ed, mrr=500)
    return ids


def test_a_proposal_brings_every_csm_within_capacity_and_previews_before_and_after(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, lopsided: list[int]
) -> None:
    plan = services.plan_propose(workspace=workspace, actor=mark)
    moves = list(plan.moves.all())
    assert len(moves) == 2 and all(m.from_owner == erin and m.to_owner == ed for m in moves)
    assert plan.unmet == []
    csms = selectors.team_csms(workspace)
    facts = selectors.account_facts(workspace)
    rows = {
        r.member.pk: r
        for r in selectors.preview(
            workspace,
            csms,
            facts,
            [(m.account_id, m.from_owner_id, m.to_owner_id) for m in moves],
            selectors.coverage_of(workspace),
        )
    }
    assert (rows[erin.pk].before.accounts, rows[erin.pk].after.accounts) == (5, 3)
    assert (rows[ed.pk].before.accounts, rows[ed.pk].after.accounts) == (1, 3)
    assert rows[erin.pk].before.arr - rows[erin.pk].after.arr == rows[ed.pk].after.arr - rows[ed.pk].before.arr
    assert rows[ed.pk].within_capacity_after


def test_applying_moves_the_accounts_with_their_open_tasks_and_writes_the_timeline(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, lopsided: list[int]
) -> None:
    plan = services.plan_propose(workspace=workspace, actor=mark)
    move = plan.moves.first()
    assert move is not None
    task = task_services.task_create(
        account=move.account, title="Call back", kind="call", due_on=dt.date.today(), owner=erin, actor=erin
    )
    applied = services.plan_apply(plan=plan, actor=mark)
    assert applied.moved == 2 and applied.skipped == []
    move.account.refresh_from_db()
    assert move.account.owner == ed
    assert Task.objects.get(pk=task.pk).owner == ed
    entry = TimelineEntry.objects.get(account=move.account, kind=EntryKind.OWNER_CHANGED)
    assert f"balancing plan {plan.pk}: Erin is over the account limit" in entry.summary
    assert Assignment.objects.filter(via="balancing").count() == 2
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPLIED
    with pytest.raises(ValidationError, match="this plan is applied"):
        services.plan_apply(plan=plan, actor=mark)


def test_a_manager_edits_a_move_before_applying(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, sam: Member, lopsided: list[int]
) -> None:
    plan = services.plan_propose(workspace=workspace, actor=mark)
    first, second = plan.moves.all()
    services.plan_move_update(plan=plan, move=first, included=False)
    services.plan_move_update(plan=plan, move=second, to_owner=sam)
    with pytest.raises(ValidationError) as caught:
        services.plan_move_update(plan=plan, move=second, to_owner=erin)
    assert "to_owner" in caught.value.message_dict
    applied = services.plan_apply(plan=plan, actor=mark)
    assert applied.moved == 1
    first.account.refresh_from_db()
    second.account.refresh_from_db()
    assert first.account.owner == erin and second.account.owner == sam


def test_an_account_moved_by_hand_since_the_proposal_is_skipped_and_named(
    workspace: Workspace, mark: Member, erin: Member, ed: Member, sam: Member, lopsided: list[int]
) -> None:
    from retain.accounts import services as account_services

    plan = services.plan_propose(workspace=workspace, actor=mark)
    move = plan.moves.first()
    assert move is not None
    account_services.accounts_reassign(
        workspace=workspace, actor=mark, via="web", accounts=[move.account], new_owner=sam
    )
    applied = services.plan_apply(plan=plan, actor=mark)
    assert applied.moved == 1
    assert applied.skipped == [f"{move.account.name}: its owner changed since the proposal"]


def test_when_the_team_cannot_hold_its_accounts_the_plan_names_the_constraint(
    workspace: Workspace, mark: Member, erin: Member, ed: Member
) -> None:
    for i in range(7):
        new_account(workspace, f"X{i}", owner=erin)
    plan = services.plan_propose(workspace=workspace, actor=mark)
    assert plan.unmet[0]["message"] == "7 accounts but room for 6 in this team"
