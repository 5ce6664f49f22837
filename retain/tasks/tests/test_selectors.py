from __future__ import annotations

import datetime as dt

from retain.accounts.models import Account
from retain.tasks import selectors, services
from retain.tasks.models import Task
from retain.tenancy.models import Member, Workspace

TODAY = dt.date(2026, 3, 4)  # a Wednesday


def _task(account: Account, owner: Member | None, due: dt.date, title: str = "Call", **extra: object) -> Task:
    return services.task_create(account=account, title=title, kind="call", due_on=due, owner=owner, **extra)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types


def _left_unassigned(account: Account, due: dt.date, title: str) -> Task:
    """A task without an owner, as tasks could be before every task got one (the team view still lists them)."""
    task = _task(account, None, due, title)
    Task.objects.filter(pk=task.pk).update(owner=None)
    return task


def _titles(tasks: list[Task]) -> list[str]:
    return [task.title for task in tasks]


def test_my_tasks_groups_open_tasks_around_today(account: Account, carol: Member, dave: Member) -> None:
    day = dt.timedelta(days=1)
    _task(account, carol, TODAY - 3 * day, "overdue")
    _task(account, carol, TODAY, "today-low", priority="low")
    _task(account, carol, TODAY, "today-urgent", priority="urgent")
    _task(account, carol, TODAY + day, "tomorrow")
    _task(account, carol, TODAY + 7 * day, "in a week")
    _task(account, carol, TODAY + 8 * day, "later")
    _task(account, dave, TODAY, "dave's")
    _left_unassigned(account, TODAY, "nobody's")
    done = _task(account, carol, TODAY - day, "done")
    services.task_complete(task=done, actor=carol, outcome="ok")
    cancelled = _task(account, carol, TODAY, "cancelled")
    services.task_cancel(task=cancelled, actor=carol)

    mine = selectors.my_tasks(carol, today=TODAY)
    assert _titles(mine.overdue) == ["overdue"]
    assert _titles(mine.due_today) == ["today-urgent", "today-low"]
    assert _titles(mine.this_week) == ["tomorrow", "in a week"]
    assert _titles(mine.later) == ["later"]
    assert _titles(mine.recently_done) == ["done"]
    assert mine.open_count == 6
    assert selectors.my_due_count(carol, today=TODAY) == 3
    assert selectors.my_due_count(dave, today=TODAY) == 1


def test_today_is_the_workspace_time_zone_day(workspace: Workspace, account: Account, carol: Member) -> None:
    workspace.time_zone = "Pacific/Auckland"
    workspace.save()
    # 20:00 UTC on 3 March is already 4 March (09:00) in Auckland.
    now = dt.datetime(2026, 3, 3, 20, 0, tzinfo=dt.UTC)
    today = selectors.task_today(workspace, now)
    assert today == dt.date(2026, 3, 4)
    _task(account, carol, dt.date(2026, 3, 3), "yesterday in Auckland")
    _task(account, carol, dt.date(2026, 3, 4), "today in Auckland")
    mine = selectors.my_tasks(carol, today=today)
    assert _titles(mine.overdue) == ["yesterday in Auckland"]
    assert _titles(mine.due_today) == ["today in Auckland"]


def test_team_tasks_filters_and_counts_per_owner(
    account: Account, carol: Member, dave: Member, mark: Member, alice: Member
) -> None:
    day = dt.timedelta(days=1)
    _task(account, carol, TODAY - day, "carol overdue")
    _task(account, carol, TODAY + day, "carol soon", source="playbook", source_ref="playbook:qbr/enrollment:1")
    _task(account, dave, TODAY + day, "dave soon")
    _left_unassigned(account, TODAY - day, "unassigned overdue")
    services.task_complete(task=_task(account, dave, TODAY - day, "dave done"), actor=dave)

    team = selectors.team_tasks(account.workspace, today=TODAY)
    assert len(team.tasks) == 5
    loads = {(load.owner.display_name if load.owner else None): (load.open, load.overdue) for load in team.per_owner}
    # Alice (an admin with no task) is not listed; Mark (a manager) is, with nothing to do.
    assert loads == {"Carol": (2, 1), "Dave": (1, 0), "Mark": (0, 0), None: (1, 1)}
    assert team.per_owner[0].owner == carol and team.per_owner[-1].owner is None

    assert _titles(list(selectors.team_tasks(account.workspace, owner=carol, today=TODAY).tasks)) == [
        "carol overdue",
        "carol soon",
    ]
    overdue = selectors.team_tasks(account.workspace, overdue_only=True, today=TODAY).tasks
    assert _titles(list(overdue)) == ["carol overdue", "unassigned overdue"]
    assert _titles(list(selectors.team_tasks(account.workspace, source="playbook", today=TODAY).tasks)) == [
        "carol soon"
    ]
    assert _titles(list(selectors.team_tasks(account.workspace, status="done", today=TODAY).tasks)) == ["dave done"]
    assert _titles(list(selectors.team_tasks(account.workspace, unassigned=True, today=TODAY).tasks)) == [
        "unassigned overdue"
    ]


def test_team_tasks_stay_in_their_workspace(account: Account, carol: Member, olga: Member) -> None:
    _task(account, carol, TODAY)
    assert not selectors.team_tasks(olga.workspace, today=TODAY).tasks.exists()
    assert selectors.my_tasks(olga, today=TODAY).open_count == 0


def test_account_tasks_lists_open_tasks_by_due_day(account: Account, carol: Member) -> None:
    _task(account, carol, TODAY + dt.timedelta(days=2), "second")
    _task(account, carol, TODAY, "first")
    services.task_cancel(task=_task(account, carol, TODAY, "dropped"), actor=carol)
    assert _titles(list(selectors.account_tasks(account))) == ["first", "second"]
    assert _titles(list(selectors.account_tasks(account, include_closed=True))) == ["first", "second", "dropped"]


def test_manager_of_prefers_reports_to_then_a_manager_then_an_admin(
    workspace: Workspace, alice: Member, carol: Member, dave: Member
) -> None:
    assert selectors.manager_of(carol) == alice  # no manager in the workspace yet: the admin
    assert selectors.manager_of(alice) is None  # nobody above the only admin
    from conftest import _member

    mark = _member(workspace, "Mark", "manager")
    assert selectors.manager_of(carol) == mark
    carol.manager = dave
    carol.save()
    assert selectors.manager_of(carol) == dave
    dave.is_active = False
    dave.save()
    assert selectors.manager_of(carol) == mark
    assert selectors.manager_of(mark) == alice
