"""Reads of tasks, always scoped to one workspace: my tasks by due day, the team view, an account's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from retain.accounts.models import Account
from retain.lib.dates import today_in
from retain.tasks.choices import PRIORITY_RANK, TaskStatus
from retain.tasks.models import Task
from retain.tenancy import selectors as tenancy_selectors
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace

WEEK_DAYS = 7
RECENTLY_DONE_DAYS = 7
RECENTLY_DONE_LIMIT = 10


def task_today(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    """Today as the workspace's people see it: tasks fall due on calendar days in its time zone."""
    return today_in(workspace.time_zone, now)


def _with_relations(queryset: QuerySet[Task]) -> QuerySet[Task]:
    return queryset.select_related("account", "owner__user", "completed_by__user")


def _open_ordered(queryset: QuerySet[Task]) -> QuerySet[Task]:
    return _with_relations(queryset.filter(status=TaskStatus.OPEN)).order_by("due_on", _priority_order(), "id")


def _priority_order() -> Case:
    """Urgent work sorts before low on the same day."""
    return Case(
        *(When(priority=str(priority), then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
        default=Value(len(PRIORITY_RANK)),
        output_field=IntegerField(),
    )


def workspace_tasks(workspace: Workspace) -> QuerySet[Task]:
    return _with_relations(Task.objects.filter(workspace=workspace))


@dataclass
class MyTasks:
    """A member's open tasks grouped around today (in the workspace's time zone), and what they did lately."""

    today: dt.date
    overdue: list[Task] = field(default_factory=list)
    due_today: list[Task] = field(default_factory=list)
    this_week: list[Task] = field(default_factory=list)
    later: list[Task] = field(default_factory=list)
    recently_done: list[Task] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.due_today) + len(self.this_week) + len(self.later)

    def groups(self) -> list[tuple[str, str, list[Task]]]:
        return [
            ("overdue", "Overdue", self.overdue),
            ("today", "Today", self.due_today),
            ("week", "This week", self.this_week),
            ("later", "Later", self.later),
        ]


def my_tasks(member: Member, today: dt.date | None = None) -> MyTasks:
    """The member's open tasks: overdue, due today, due in the next seven days, later; and recently done."""
    today = today or task_today(member.workspace)
    result = MyTasks(today=today)
    week_end = today + dt.timedelta(days=WEEK_DAYS)
    for task in _open_ordered(Task.objects.filter(workspace_id=member.workspace_id, owner=member)):
        if task.due_on < today:
            result.overdue.append(task)
        elif task.due_on == today:
            result.due_today.append(task)
        elif task.due_on <= week_end:
            result.this_week.append(task)
        else:
            result.later.append(task)
    since = timezone.now() - dt.timedelta(days=RECENTLY_DONE_DAYS)
    result.recently_done = list(
        _with_relations(
            Task.objects.filter(
                workspace_id=member.workspace_id,
                status=TaskStatus.DONE,
                completed_at__gte=since,
            ).filter(Q(owner=member) | Q(completed_by=member))
        ).order_by("-completed_at", "-id")[:RECENTLY_DONE_LIMIT]
    )
    return result


def my_due_count(member: Member, today: dt.date | None = None) -> int:
    """How many of the member's open tasks are overdue or due today (the number beside "Tasks")."""
    today = today or task_today(member.workspace)
    return Task.objects.filter(
        workspace_id=member.workspace_id, owner=member, status=TaskStatus.OPEN, due_on__lte=today
    ).count()


@dataclass(frozen=True)
class OwnerLoad:
    owner: Member | None
    open: int
    overdue: int


@dataclass
class TeamTasks:
    tasks: QuerySet[Task]
    per_owner: list[OwnerLoad]
    today: dt.date


def team_tasks(
    workspace: Workspace,
    *,
    owner: Member | None = None,
    unassigned: bool = False,
    kind: str = "",
    status: str = "",
    overdue_only: bool = False,
    source: str = "",
    account: Account | None = None,
    due_before: dt.date | None = None,
    today: dt.date | None = None,
) -> TeamTasks:
    """The workspace's tasks filtered as a manager asks, with each owner's open and overdue counts.

    The counts are over every open task of the workspace, whatever the filter, so a manager sees
    the whole team's load beside the list they narrowed.
    """
    today = today or task_today(workspace)
    tasks = Task.objects.filter(workspace=workspace)
    if owner is not None:
        tasks = tasks.filter(owner=owner)
    elif unassigned:
        tasks = tasks.filter(owner__isnull=True)
    if account is not None:
        tasks = tasks.filter(account=account)
    if kind:
        tasks = tasks.filter(kind=kind)
    if status:
        tasks = tasks.filter(status=status)
    if source:
        tasks = tasks.filter(source=source)
    if overdue_only:
        tasks = tasks.filter(status=TaskStatus.OPEN, due_on__lt=today)
    if due_before is not None:
        tasks = tasks.filter(due_on__lt=due_before)
    tasks = _with_relations(tasks).order_by("due_on", _priority_order(), "id")
    return TeamTasks(tasks=tasks, per_owner=owner_loads(workspace, today=today), today=today)


def owner_loads(workspace: Workspace, *, today: dt.date) -> list[OwnerLoad]:
    """Open and overdue task counts per owner (unassigned last), one grouped query."""
    rows = (
        Task.objects.filter(workspace=workspace, status=TaskStatus.OPEN)
        .values("owner_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
    )
    counts: dict[int | None, tuple[int, int]] = {row["owner_id"]: (row["open"], row["overdue"]) for row in rows}
    loads: list[OwnerLoad] = []
    for member in Member.objects.filter(workspace=workspace).select_related("user"):
        carries_work = member.is_active and member.role in (Role.CSM, Role.MANAGER)
        if member.pk in counts or carries_work:
            open_count, overdue = counts.get(member.pk, (0, 0))
            loads.append(OwnerLoad(owner=member, open=open_count, overdue=overdue))
    loads.sort(key=lambda load: (-load.overdue, -load.open, load.owner.display_name if load.owner else ""))
    if None in counts:
        loads.append(OwnerLoad(owner=None, open=counts[None][0], overdue=counts[None][1]))
    return loads


def account_tasks(account: Account, *, include_closed: bool = False) -> QuerySet[Task]:
    """An account's tasks: open ones by due day (and, when asked, the closed ones after them)."""
    tasks = Task.objects.filter(workspace_id=account.workspace_id, account=account)
    if not include_closed:
        tasks = tasks.filter(status=TaskStatus.OPEN)
    open_first = Case(When(status=TaskStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return _with_relations(tasks).order_by(open_first, "due_on", _priority_order(), "id")


def manager_of(member: Member) -> Member | None:
    """Whom the member's work escalates to: who they report to, else the first active manager, else admin."""
    if member.manager_id is not None and member.manager_id != member.pk:
        boss = Member.objects.select_related("user").filter(pk=member.manager_id, is_active=True).first()
        if boss is not None and boss.workspace_id == member.workspace_id:
            return boss
    others = (
        Member.objects.select_related("user")
        .filter(workspace_id=member.workspace_id, is_active=True)
        .exclude(pk=member.pk)
        .order_by("id")
    )
    for role in (Role.MANAGER, Role.ADMIN):
        candidate = others.filter(role=role).first()
        if candidate is not None:
            return candidate
    return None


def default_owner(account: Account) -> Member | None:
    """A task nobody was named for goes to the account's owner, else to the workspace's fallback owner."""
    owner = account.owner
    if owner is not None and owner.is_active and owner.can_write:
        return owner
    return tenancy_selectors.fallback_owner(account.workspace)
