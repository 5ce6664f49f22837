"""The demo's playbooks: the defaults, run day by day over the last 30 days, and the team working the tasks.

Each day the engine scans as of 08:00 (workspace time) and sweeps until nothing is due, as the
scheduler would have; the rows it writes are dated that day. The CSMs then work the tasks: most
are done within a few days with a short outcome note, some are dropped, and a share stays open
(more for owners with big books), so task lists show overdue work, and escalate steps find tasks
still open. The replay starts with the playbooks installed 30 days ago; event-triggered playbooks
start from the timeline as it was then (older facts do not fire; the month's facts, a detractor's
answer among them, arrive on the day they happened). E-mails the steps queue go to the
demo's `.example` addresses, which no mail server delivers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Max
from django.utils import timezone

from retain.accounts.choices import TouchpointKind
from retain.accounts.models import Account, TimelineEntry, Touchpoint
from retain.demo.generator.context import DemoContext
from retain.lib.dates import start_of_day, today_in
from retain.playbooks.choices import EnrollmentStatus, TriggerKind
from retain.playbooks.defaults import playbooks_install_defaults
from retain.playbooks.engine import scan, sweep_until_idle
from retain.playbooks.models import DigestItem, Enrollment, Playbook, ScanMark, StepRun
from retain.tasks.choices import TaskKind, TaskStatus
from retain.tasks.models import Task
from retain.tasks.services import task_cancel, task_complete
from retain.tenancy.models import Workspace

REPLAY_DAYS = 30
SCAN_HOUR = 8
SWEEP_BUDGET_S = 120.0
# Of the tasks a CSM gets: dropped, and (for the biggest book; smaller books less) left open.
CANCELLED = 0.05
LEFT_OPEN_MIN, LEFT_OPEN_MAX = 0.08, 0.35
# Days from a task being made to being done.
DAYS_TO_DONE = (0, 0, 1, 1, 1, 2, 2, 3, 4, 6, 9)

OUTCOMES: dict[str, tuple[str, ...]] = {
    TaskKind.CALL: (
        "Spoke with the champion; all good, no blockers.",
        "Left a voicemail, then got a reply by e-mail: they are on track.",
        "Call done. They want a follow-up on reporting next month.",
        "Talked through the open questions; sent the recap.",
        "Reached the new contact and booked a training session.",
    ),
    TaskKind.MEETING: (
        "Meeting held; goals confirmed and next review booked.",
        "Reviewed results with the sponsor; they are happy with the lead flow.",
        "Walked through the roadmap; they asked for a pricing follow-up.",
        "Agreed three actions for the next quarter.",
    ),
    TaskKind.REVIEW: (
        "Reviewed usage and health; plan updated.",
        "Found the cause: the integration broke. Support ticket opened.",
        "Risk noted; owner is following up with the sponsor.",
        "Checked the milestones; unblocked with a config fix.",
    ),
    TaskKind.ESCALATION: (
        "Took it over and called the customer myself.",
        "Talked with the owner; it is back on track.",
        "Reassigned within the team; done.",
    ),
}
DEFAULT_OUTCOMES = (
    "Done.",
    "Done; notes added to the account.",
    "Handled by e-mail; they confirmed.",
)
CANCEL_REASONS = (
    "Covered in the last call already.",
    "No longer relevant: the contact changed.",
    "Duplicate of another task.",
)


def _now_on(day: dt.date, workspace: Workspace) -> dt.datetime:
    return start_of_day(day, workspace.time_zone) + dt.timedelta(hours=SCAN_HOUR)


def _max_pk(model: type, **filters: object) -> int:
    return model.objects.filter(**filters).aggregate(m=Max("pk"))["m"] or 0  # type: ignore[attr-defined,no-any-return]  # model is any model class; Max of an integer key is an int


def _hold_back_event_facts(workspace: Workspace, since: dt.datetime) -> list[TimelineEntry]:
    """Take out the facts event playbooks key on that happened during the replay, to put back on their day.

    The history steps wrote the whole timeline before the replay; left in place, a detractor's
    answer of last week would sit behind the scan mark and never fire. Put back on the day it
    happened, it is new to that day's scan, as it would have been live.
    """
    playbooks = Playbook.objects.filter(workspace=workspace, is_current=True, trigger_kind=TriggerKind.EVENT)
    kinds = {playbook.definition["trigger"]["entry"] for playbook in playbooks}
    held = list(
        TimelineEntry.objects.filter(workspace=workspace, kind__in=kinds, occurred_at__gte=since).order_by(
            "occurred_at", "pk"
        )
    )
    TimelineEntry.objects.filter(pk__in=[entry.pk for entry in held]).delete()
    for entry in held:
        entry.pk = None
    return held


def _put_back(held: list[TimelineEntry], now: dt.datetime | None) -> list[TimelineEntry]:
    """Write the held facts that happened by `now` (None: all of them); returns the rest."""
    due = [entry for entry in held if now is None or entry.occurred_at <= now]
    TimelineEntry.objects.bulk_create(due, batch_size=500)
    return held[len(due) :]


def _start_event_playbooks_here(workspace: Workspace, now: dt.datetime) -> None:
    """Event-triggered playbooks read the timeline from its end: facts older than the replay do not fire."""
    last = _max_pk(TimelineEntry, workspace=workspace)
    keys = Playbook.objects.filter(workspace=workspace, is_current=True, trigger_kind=TriggerKind.EVENT)
    for key in keys.values_list("key", flat=True):
        ScanMark.objects.update_or_create(
            workspace=workspace, playbook_key=key, defaults={"last_entry_id": last, "scanned_at": now}
        )


class _Replay:
    """The rows of one replayed day dated that day, and the CSMs' work on the tasks."""

    def __init__(self, ctx: DemoContext, real_today: dt.date) -> None:
        self.ctx = ctx
        self.ws = ctx.ws
        self.real_today = real_today
        self.rng = ctx.rng("playbooks")
        books = Counter(
            Account.objects.filter(workspace=self.ws, owner__isnull=False).values_list("owner_id", flat=True)
        )
        biggest = max(books.values(), default=1)
        self.left_open = {
            owner: LEFT_OPEN_MIN + (LEFT_OPEN_MAX - LEFT_OPEN_MIN) * size / biggest for owner, size in books.items()
        }
        self.work: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
        self.marks = self._marks()
        self.worked = Counter[str]()

    def _marks(self) -> dict[str, int]:
        return {
            "task": _max_pk(Task, workspace=self.ws),
            "enrollment": _max_pk(Enrollment, workspace=self.ws),
            "run": _max_pk(StepRun, enrollment__workspace=self.ws),
            "digest": _max_pk(DigestItem, workspace=self.ws),
        }

    def date_new_rows(self, day: dt.date, now: dt.datetime, last_day: bool) -> list[Task]:
        """Date the day's new enrolments, step runs, digest items and tasks; returns the new tasks."""
        marks, ws = self.marks, self.ws
        Enrollment.objects.filter(workspace=ws, pk__gt=marks["enrollment"]).update(created_at=now)
        StepRun.objects.filter(enrollment__workspace=ws, pk__gt=marks["run"]).update(started_at=now, finished_at=now)
        digests = DigestItem.objects.filter(workspace=ws, pk__gt=marks["digest"])
        if last_day:
            digests.update(day=day)
        else:
            sent = start_of_day(day + dt.timedelta(days=1), ws.time_zone) + dt.timedelta(hours=6)
            digests.update(day=day, created_at=now, sent_at=sent)
        tasks = list(Task.objects.filter(workspace=ws, pk__gt=marks["task"]).select_related("owner"))
        for task in tasks:
            task.due_on = day + (task.due_on - self.real_today)
            task.created_at = now
        Task.objects.bulk_update(tasks, ["due_on", "created_at"], batch_size=500)
        if tasks:
            self._rewind_escalations(now, {task.pk for task in tasks})
        self.marks = self._marks()
        return tasks

    def _rewind_escalations(self, made_at: dt.datetime, task_ids: set[int]) -> None:
        """An escalate step waiting on a task made today counts its days from today, not from the build."""
        waiting = Enrollment.objects.filter(workspace=self.ws, status=EnrollmentStatus.WAITING).select_related(
            "playbook"
        )
        for enrollment in waiting:
            steps = enrollment.playbook.definition["steps"]
            if enrollment.step_index >= len(steps) or "escalate" not in steps[enrollment.step_index]:
                continue
            options = steps[enrollment.step_index]["escalate"]
            task_id = enrollment.context.get("tasks", {}).get(str(options["step"]))
            if task_id in task_ids:
                due = made_at + dt.timedelta(days=options["after_days"])
                Enrollment.objects.filter(pk=enrollment.pk).update(due_at=due)

    def plan_work(self, day: dt.date, tasks: list[Task]) -> None:
        """What each owner does with each new task: done some days later, dropped, or left open."""
        for task in tasks:
            rng = self.rng
            roll = rng.random()
            if task.owner_id is None:
                continue
            is_escalation = task.kind == TaskKind.ESCALATION
            open_share = 0.1 if is_escalation else self.left_open.get(task.owner_id, LEFT_OPEN_MIN)
            if roll < CANCELLED and not is_escalation:
                self.work[day + dt.timedelta(days=rng.choice((0, 1, 2)))].append((task.pk, "cancel"))
            elif roll < CANCELLED + open_share:
                continue
            else:
                self.work[day + dt.timedelta(days=rng.choice(DAYS_TO_DONE))].append((task.pk, "done"))

    def do_work(self, day: dt.date, now: dt.datetime) -> None:
        planned = self.work.pop(day, [])
        if not planned:
            return
        tasks = Task.objects.select_related("owner", "account").in_bulk([pk for pk, _ in planned])
        for pk, what in planned:
            task = tasks.get(pk)
            if task is None or task.status != TaskStatus.OPEN:
                continue
            rng = self.rng
            when = now + dt.timedelta(hours=rng.randint(1, 8), minutes=rng.randint(0, 59))
            entries, touchpoints = _max_pk(TimelineEntry, workspace=self.ws), _max_pk(Touchpoint, workspace=self.ws)
            if what == "cancel":
                task_cancel(task=task, actor=task.owner, reason=rng.choice(CANCEL_REASONS), via="web")
            else:
                logged = None
                if task.kind in (TaskKind.CALL, TaskKind.MEETING) and rng.random() < 0.6:
                    logged = TouchpointKind.CALL if task.kind == TaskKind.CALL else TouchpointKind.MEETING
                outcome = rng.choice(OUTCOMES.get(task.kind, DEFAULT_OUTCOMES))
                task_complete(task=task, actor=task.owner, outcome=outcome, log_touchpoint=logged, via="web")
            Task.objects.filter(pk=pk).update(completed_at=when, updated_at=when)
            TimelineEntry.objects.filter(workspace=self.ws, pk__gt=entries).update(occurred_at=when)
            Touchpoint.objects.filter(workspace=self.ws, pk__gt=touchpoints).update(occurred_at=when)
            self.worked[what] += 1
        self.marks["task"] = _max_pk(Task, workspace=self.ws)


def build_playbooks(ctx: DemoContext) -> str:
    workspace = ctx.ws
    added = playbooks_install_defaults(workspace=workspace)
    real_today = today_in(workspace.time_zone)
    final_now = timezone.now()
    if ctx.today != real_today:
        final_now = start_of_day(ctx.today, workspace.time_zone) + dt.timedelta(hours=12)
    first_day = ctx.today - dt.timedelta(days=REPLAY_DAYS)
    # Installed when the replay starts: time triggers catch up from that day, not from today.
    Playbook.objects.filter(workspace=workspace).update(created_at=start_of_day(first_day, workspace.time_zone))
    held = _hold_back_event_facts(workspace, start_of_day(first_day, workspace.time_zone))
    _start_event_playbooks_here(workspace, _now_on(first_day, workspace))
    replay = _Replay(ctx, real_today)
    swept = 0
    day = first_day
    while day <= ctx.today:
        last_day = day == ctx.today
        now = final_now if last_day else _now_on(day, workspace)
        held = _put_back(held, now)
        scan(workspace=workspace, now=now)
        swept += sweep_until_idle(worker_name="demo", budget_s=SWEEP_BUDGET_S, now=now).claimed
        made = replay.date_new_rows(day, now, last_day)
        if not last_day:
            replay.plan_work(day, made)
            replay.do_work(day, now)
        day += dt.timedelta(days=1)
    _put_back(held, None)
    enrollments = Enrollment.objects.filter(workspace=workspace)
    by_status = dict(enrollments.values_list("status").annotate(n=Count("pk")).order_by())
    ctx.counts["playbook_enrollments"] = sum(by_status.values())
    states = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    tasks = Task.objects.filter(workspace=workspace, source="playbook")
    overdue = tasks.filter(status=TaskStatus.OPEN, due_on__lt=ctx.today).count()
    escalations = tasks.filter(kind=TaskKind.ESCALATION).count()
    return (
        f"{len(added)} default playbooks over {REPLAY_DAYS + 1} days; {sum(by_status.values())} enrolments "
        f"({states}); {swept} swept; {tasks.count()} tasks, {replay.worked['done']} done, "
        f"{replay.worked['cancel']} cancelled, {overdue} overdue, {escalations} escalations"
    )
