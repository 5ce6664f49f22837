"""The playbook engine: plan occurrences, write them once (scan), and work through them (sweep).

- ``plan`` computes occurrences for a date range and writes nothing: simulations and the
  editor's preview use it. ``dry_run=True`` replays as if the playbook had always existed
  (enrolments made, condition states and the playbook's age are ignored); ``dry_run=False``
  says what a scan would write (it honours existing enrolments and condition states).
- ``scan`` writes an Enrollment per new occurrence. The unique (playbook key, account,
  occurrence key) makes each occurrence fire exactly once: a re-scan, two overlapping scans and
  a new version of the playbook all meet the same key (bulk_create with ignore_conflicts).
- ``sweep`` claims due enrolments (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, a
  compare-and-set UPDATE elsewhere), re-checks them (churned, snoozed, conditions), and runs
  their steps (playbooks.steps) from where they stopped; every step is a StepRun row.

Audience, conditions and the account's status are checked when an occurrence is enrolled and
again when it fires. Frequency limits count enrolments that were not skipped, by when they
fired; scans of one playbook take turns, so two overlapping scans cannot both pass a limit. An
occurrence found later than its trigger kind's MAX_LATENESS (the sweep was down) is skipped with
the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from retain.accounts import timeline
from retain.lib.dates import local_day, start_of_day
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.playbooks import services, triggers
from retain.playbooks import steps as step_registry
from retain.playbooks.choices import DUE_STATUSES, EnrollmentStatus, StepStatus, TriggerKind
from retain.playbooks.compiled import Compiled, Snapshots, segment_ids
from retain.playbooks.models import ConditionState, Enrollment, Playbook, ScanMark, Snooze, StepRun
from retain.playbooks.snapshot import CHURNED, Snapshot, build
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)

# A scan catches up on time-trigger days it missed (the scheduler was down) for this long.
CATCH_UP_DAYS = 7
# How late an occurrence (or its next step, after a wait) may still run: later than this, after
# an outage or a long backlog, it is skipped with the reason rather than fired blindly. A timed
# touch (a day-30 check-in, a quarterly QBR) is still right a week late, as far back as a scan
# catches up; a data condition is re-checked at fire time, but an alarm a day old has been seen
# some other way; answering an event (a detractor's comment, a champion leaving) days later
# reads as neglect, so it goes to a person, not to an automated e-mail.
MAX_LATENESS = {
    TriggerKind.TIME: dt.timedelta(days=CATCH_UP_DAYS),
    TriggerKind.DATA: dt.timedelta(days=1),
    TriggerKind.EVENT: dt.timedelta(days=2),
}
# A claim older than this belongs to a worker that died; the enrolment goes back to the queue.
STALE_CLAIM = dt.timedelta(minutes=15)
EVENT_BATCH = 5000
# How long after it was written a timeline entry may still become visible. On PostgreSQL an id is
# handed out at insert and seen at commit: an ingest batch that inserted id 100 and commits after
# an answer inserted (and committed) id 101 leaves 100 behind a mark moved to 101. The mark only
# moves past entries written longer ago than this; younger ones are read again (their occurrence
# keys keep them from firing twice).
EVENT_SETTLE = dt.timedelta(minutes=10)
SWEEP_LIMIT = 200


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a playbook for an account: when it is due, why, and what would run."""

    playbook_key: str
    playbook_id: int
    account_id: int
    account_name: str
    occurrence_key: str
    due_at: dt.datetime
    reason: str
    steps: tuple[str, ...]
    context: dict[str, Any] = field(default_factory=dict)


# Planning ----------------------------------------------------------------------------------------


def _firings(
    workspace: Workspace,
    compiled: Compiled,
    start: dt.date,
    end: dt.date,
    snapshots: Snapshots,
    *,
    live: bool,
) -> list[tuple[triggers.Firing, Snapshot]]:
    """The trigger's firings in [start, end], each with the snapshot its checks use."""
    kind = compiled.trigger["kind"]
    result: list[tuple[triggers.Firing, Snapshot]] = []
    if kind == TriggerKind.TIME:
        known = snapshots.bases(compiled.trigger)
        by_day: dict[dt.date, list[triggers.Firing]] = defaultdict(list)
        for firing in triggers.time_firings(workspace, compiled.trigger, None, start, end, known):
            by_day[firing.day].append(firing)
        for day, firings in sorted(by_day.items()):
            day_snaps = snapshots.some(day, {firing.account_id for firing in firings})
            result.extend(
                (firing, day_snaps[firing.account_id]) for firing in firings if firing.account_id in day_snaps
            )
    elif kind == TriggerKind.DATA:
        assert compiled.trigger_condition is not None
        today = local_day(timezone.now(), workspace.time_zone)
        if live and start >= today:
            states = ConditionState.objects.filter(workspace=workspace, playbook_key=compiled.key, is_true=True)
            initial = {s.account_id: local_day(s.true_since or timezone.now(), workspace.time_zone) for s in states}
            fired = {s.account_id for s in states if s.fired}
        else:
            before = start - dt.timedelta(days=1)
            initial = {
                pk: before for pk, snap in snapshots.on(before).items() if compiled.trigger_condition.evaluate(snap)
            }
            fired = set(initial)
        # One day at a time, not kept: a quarter of whole-workspace snapshots would not fit in memory.
        each_day = ((day, snapshots.fresh(day)) for day in triggers.days(start, end))
        result.extend(
            triggers.data_firings_replay(
                compiled.trigger_condition, compiled.trigger["hold_hours"], each_day, initial, fired, workspace
            )
        )
    else:
        tz = workspace.time_zone
        entries = triggers.event_entries(workspace, compiled.trigger["entry"]).filter(
            occurred_at__gte=start_of_day(start, tz), occurred_at__lt=start_of_day(end + dt.timedelta(days=1), tz)
        )
        entries_by_day: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
        for entry in entries:
            entries_by_day[local_day(entry["occurred_at"], tz)].append(entry)
        for day, day_entries in sorted(entries_by_day.items()):
            day_snaps = snapshots.some(day, {entry["account_id"] for entry in day_entries})
            for entry in day_entries:
                snap = day_snaps.get(entry["account_id"])
                if snap is None:
                    continue
                firing = triggers.event_firing(entry, day)
                merged = {**snap, **firing.extra}
                if compiled.trigger_where is None or compiled.trigger_where.evaluate(merged):
                    result.append((firing, merged))
    return result


def _history(
    workspace: Workspace, key: str, firings: Sequence[triggers.Firing], limits: dict[str, Any]
) -> tuple[set[tuple[int, str]], dict[int, list[dt.datetime]]]:
    """Occurrences already enrolled, and per account the due times of those that were not skipped.

    Only what the firings at hand can meet is read: their occurrence keys, and for frequency
    limits their accounts' enrolments (all of them for once-ever, the window's for max per days).
    """
    keys: set[tuple[int, str]] = set()
    counted: dict[int, list[dt.datetime]] = defaultdict(list)
    if not firings:
        return keys, counted
    mine = Enrollment.objects.filter(workspace=workspace, playbook_key=key)
    wanted_keys = {firing.occurrence_key for firing in firings}
    seen = mine if len(wanted_keys) > MAX_IDS_IN_QUERY else mine.filter(occurrence_key__in=wanted_keys)
    keys = set(seen.values_list("account_id", "occurrence_key"))
    if limits:
        earlier = mine.exclude(status=EnrollmentStatus.SKIPPED)
        accounts = {firing.account_id for firing in firings}
        if len(accounts) <= MAX_IDS_IN_QUERY:
            earlier = earlier.filter(account_id__in=accounts)
        # Counted by when each fired, not by due_at: a wait or an escalate step moves due_at days
        # ahead, and a risk review waiting on its escalation must still count the day after.
        if "per_days" in limits:
            first = min(firing.due_at for firing in firings)
            earlier = earlier.filter(fired_at__gt=first - dt.timedelta(days=limits["per_days"]))
        for account_id, fired_at in earlier.values_list("account_id", "fired_at"):
            counted[account_id].append(fired_at)
    return keys, counted


def _within_limits(limits: dict[str, Any], earlier: list[dt.datetime], due_at: dt.datetime) -> bool:
    if limits.get("once"):
        return not earlier
    if "max" in limits:
        # Both sides of due_at: an occurrence fired later (a time trigger's catch-up finds an
        # earlier due day) is as close as one fired before.
        span = dt.timedelta(days=limits["per_days"])
        return sum(1 for when in earlier if due_at - span < when < due_at + span) < limits["max"]
    return True


def _select(
    workspace: Workspace,
    compiled: Compiled,
    firings: Iterable[tuple[triggers.Firing, Snapshot]],
    segment: set[int] | None,
    *,
    live: bool,
) -> list[Occurrence]:
    """Firings that pass the audience, the conditions and the limits, as occurrences."""
    ordered = sorted(firings, key=lambda pair: (pair[0].due_at, pair[0].account_id))
    if live:
        keys, counted = _history(workspace, compiled.key, [firing for firing, _ in ordered], compiled.limits)
    else:
        keys, counted = set(), defaultdict(list)
    occurrences = []
    for firing, snap in ordered:
        if (firing.account_id, firing.occurrence_key) in keys:
            continue
        if not compiled.in_audience(snap, segment) or not compiled.conditions_hold(snap):
            continue
        earlier = counted[firing.account_id]
        if not _within_limits(compiled.limits, earlier, firing.due_at):
            continue
        keys.add((firing.account_id, firing.occurrence_key))
        earlier.append(firing.due_at)
        context: dict[str, Any] = {"reason": firing.reason}
        if compiled.conditions is not None:
            context["explain"] = compiled.conditions.explain(snap)
        if "entry.id" in firing.extra:
            context["entry"] = firing.extra
        occurrences.append(
            Occurrence(
                playbook_key=compiled.key,
                playbook_id=compiled.playbook.pk,
                account_id=firing.account_id,
                account_name=str(snap.get("account.name", "")),
                occurrence_key=firing.occurrence_key,
                due_at=firing.due_at,
                reason=firing.reason,
                steps=compiled.steps,
                context=context,
            )
        )
    return occurrences


def plan(
    *, workspace: Workspace, playbooks: Sequence[Playbook], start: dt.date, end: dt.date, dry_run: bool
) -> list[Occurrence]:
    """The occurrences of `playbooks` due from `start` to `end` (workspace days); writes nothing."""
    if end < start:
        raise ValueError("the end of the range is before its start")
    snapshots = Snapshots(workspace)
    occurrences: list[Occurrence] = []
    for playbook in playbooks:
        compiled = Compiled(playbook)
        first_day = start
        if not dry_run:
            created = Playbook.objects.filter(workspace=workspace, key=playbook.key).order_by("created_at").first()
            if created is not None:
                first_day = max(start, local_day(created.created_at, workspace.time_zone))
        if first_day > end:
            continue
        firings = _firings(workspace, compiled, first_day, end, snapshots, live=not dry_run)
        segment = segment_ids(workspace, compiled, end)
        occurrences.extend(_select(workspace, compiled, firings, segment, live=not dry_run))
    occurrences.sort(key=lambda o: (o.due_at, o.playbook_key, o.account_id))
    return occurrences


# Scanning ----------------------------------------------------------------------------------------


@dataclass
class ScanResult:
    playbooks: int = 0
    enrolled: int = 0


def _enrol(workspace: Workspace, occurrences: Sequence[Occurrence]) -> int:
    """Write the occurrences; ones another scan wrote meanwhile are skipped by the unique key."""
    if not occurrences:
        return 0
    rows = [
        Enrollment(
            workspace=workspace,
            playbook_id=o.playbook_id,
            playbook_key=o.playbook_key,
            account_id=o.account_id,
            occurrence_key=o.occurrence_key,
            due_at=o.due_at,
            fired_at=o.due_at,
            context=o.context,
        )
        for o in occurrences
    ]
    Enrollment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _first_created(workspace: Workspace, key: str) -> dt.datetime:
    first = Playbook.objects.filter(workspace=workspace, key=key).order_by("created_at").values("created_at")[:1]
    return first[0]["created_at"]


def _scan_time(workspace: Workspace, compiled: Compiled, now: dt.datetime, snapshots: Snapshots) -> list[Occurrence]:
    today = local_day(now, workspace.time_zone)
    created = local_day(_first_created(workspace, compiled.key), workspace.time_zone)
    start = max(created, today - dt.timedelta(days=CATCH_UP_DAYS))
    current = snapshots.on(today)
    firings = [
        (firing, current[firing.account_id])
        for firing in triggers.time_firings(
            workspace, compiled.trigger, current.keys(), start, today, snapshots.bases(compiled.trigger)
        )
    ]
    return _select(workspace, compiled, firings, segment_ids(workspace, compiled, today), live=True)


def _scan_data(workspace: Workspace, compiled: Compiled, now: dt.datetime, snapshots: Snapshots) -> list[Occurrence]:
    """Move each account's condition state on, and fire the edges that have held long enough."""
    assert compiled.trigger_condition is not None
    today = local_day(now, workspace.time_zone)
    hold = dt.timedelta(hours=compiled.trigger["hold_hours"])
    current = snapshots.on(today)
    segment = segment_ids(workspace, compiled, today)
    states = {s.account_id: s for s in ConditionState.objects.filter(workspace=workspace, playbook_key=compiled.key)}
    fresh: list[ConditionState] = []
    changed: list[ConditionState] = []
    ready: list[tuple[triggers.Firing, Snapshot]] = []
    for account_id, snap in current.items():
        holds = compiled.trigger_condition.evaluate(snap) and compiled.in_audience(snap, segment)
        state = states.get(account_id)
        if state is None:
            if not holds:
                continue
            state = ConditionState(
                workspace=workspace, playbook_key=compiled.key, account_id=account_id, last_checked_at=now
            )
            fresh.append(state)
        elif state.is_true != holds or (holds and not state.fired):
            changed.append(state)
        if not holds:
            state.is_true, state.true_since, state.fired, state.last_checked_at = False, None, False, now
            continue
        if not state.is_true:
            state.is_true, state.true_since, state.fired = True, now, False
        state.last_checked_at = now
        assert state.true_since is not None
        if not state.fired and now - state.true_since >= hold and compiled.conditions_hold(snap):
            state.fired = True
            became = local_day(state.true_since, workspace.time_zone)
            reason = f"{compiled.trigger_condition.describe()} since {state.true_since:%Y-%m-%d %H:%M}"
            ready.append((triggers.Firing(account_id, f"edge:{became.isoformat()}", now, reason, today), snap))
    occurrences = _select(workspace, compiled, ready, segment, live=True)
    ConditionState.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    ConditionState.objects.bulk_update(changed, ["is_true", "true_since", "fired", "last_checked_at"], batch_size=500)
    return occurrences


def _scan_events(workspace: Workspace, compiled: Compiled, now: dt.datetime, snapshots: Snapshots) -> list[Occurrence]:
    """Timeline facts of the trigger's kind written since the last scan (a high-water mark)."""
    today = local_day(now, workspace.time_zone)
    mark = ScanMark.objects.filter(workspace=workspace, playbook_key=compiled.key).first()
    entries = triggers.event_entries(workspace, compiled.trigger["entry"])
    if mark is not None:
        entries = entries.filter(pk__gt=mark.last_entry_id)
    else:
        entries = entries.filter(created_at__gte=_first_created(workspace, compiled.key))
    batch = list(entries[:EVENT_BATCH])
    if not batch:
        return []
    current = snapshots.on(today)
    firings = []
    for entry in batch:
        snap = current.get(entry["account_id"])
        if snap is None:
            continue
        firing = triggers.event_firing(entry, today)
        merged = {**snap, **firing.extra}
        if compiled.trigger_where is None or compiled.trigger_where.evaluate(merged):
            firings.append(
                (
                    triggers.Firing(firing.account_id, firing.occurrence_key, now, firing.reason, today, firing.extra),
                    merged,
                )
            )
    occurrences = _select(workspace, compiled, firings, segment_ids(workspace, compiled, today), live=True)
    happened = {f"entry:{entry['id']}": entry["occurred_at"] for entry in batch}
    for occurrence in occurrences:
        # Kept for the fire-time lateness cap: a fact found long after it happened is stale.
        occurrence.context["occurred_at"] = happened[occurrence.occurrence_key].isoformat()
    _move_mark(workspace, compiled.key, mark, _settled_high(batch, mark, now), now)
    return occurrences


def _settled_high(batch: Sequence[dict[str, Any]], mark: ScanMark | None, now: dt.datetime) -> int:
    """The last id of the batch's run of entries written before EVENT_SETTLE ago."""
    high = mark.last_entry_id if mark is not None else 0
    for entry in batch:
        if entry["created_at"] > now - EVENT_SETTLE:
            break
        high = entry["id"]
    if len(batch) == EVENT_BATCH and high == batch[0]["id"] - 1:
        high = batch[-1]["id"]  # a full batch of fresh entries: move on rather than read it again and again
    return high


def _move_mark(workspace: Workspace, key: str, mark: ScanMark | None, high: int, now: dt.datetime) -> None:
    if mark is not None:
        ScanMark.objects.filter(pk=mark.pk, last_entry_id__lt=high).update(last_entry_id=high, scanned_at=now)
        return
    if not high:
        return
    try:
        with transaction.atomic():
            ScanMark.objects.create(workspace=workspace, playbook_key=key, last_entry_id=high, scanned_at=now)
    except IntegrityError:  # an overlapping scan wrote it first; the unique key kept us exact
        ScanMark.objects.filter(workspace=workspace, playbook_key=key, last_entry_id__lt=high).update(
            last_entry_id=high, scanned_at=now
        )


SCANNERS: dict[str, Callable[[Workspace, Compiled, dt.datetime, Snapshots], list[Occurrence]]] = {
    TriggerKind.TIME: _scan_time,
    TriggerKind.DATA: _scan_data,
    TriggerKind.EVENT: _scan_events,
}


def _lock_playbook(workspace: Workspace, key: str) -> None:
    """Hold the playbook's versions until the transaction ends (a no-op on SQLite)."""
    list(Playbook.objects.select_for_update().filter(workspace=workspace, key=key).order_by("pk").values_list("pk"))


def scan(*, workspace: Workspace, now: dt.datetime | None = None) -> ScanResult:
    """Enrol every new occurrence of the workspace's active playbooks, as of `now`."""
    now = now or timezone.now()
    result = ScanResult()
    services.ticket_escalations_record(workspace=workspace, now=now)
    snapshots = Snapshots(workspace)
    playbooks = Playbook.objects.filter(workspace=workspace, is_current=True, is_active=True).order_by("key")
    for playbook in playbooks:
        compiled = Compiled(playbook)
        with transaction.atomic():
            # One scan of a playbook at a time: frequency limits and condition states are read,
            # then written. Two overlapping scans that both read before either wrote would both
            # pass a limit with different occurrences (the unique key only stops the same one).
            # On PostgreSQL the second waits for this row lock and then reads what the first
            # committed; on SQLite BEGIN IMMEDIATE already makes write transactions take turns.
            _lock_playbook(workspace, playbook.key)
            occurrences = SCANNERS[playbook.trigger_kind](workspace, compiled, now, snapshots)
            result.enrolled += _enrol(workspace, occurrences)
        result.playbooks += 1
    return result


# Sweeping ----------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    claimed: int = 0
    done: int = 0
    waiting: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, status: str) -> None:
        if status == EnrollmentStatus.DONE:
            self.done += 1
        elif status == EnrollmentStatus.WAITING:
            self.waiting += 1
        elif status == EnrollmentStatus.SKIPPED:
            self.skipped += 1
        elif status == EnrollmentStatus.FAILED:
            self.failed += 1


def _release_stale(now: dt.datetime) -> int:
    """Enrolments claimed by a worker that died go back to the queue at the step they reached."""
    return Enrollment.objects.filter(status=EnrollmentStatus.RUNNING, claimed_at__lt=now - STALE_CLAIM).update(
        status=EnrollmentStatus.PENDING, claimed_by=None, claimed_at=None
    )


def _claim(now: dt.datetime, worker_name: str, limit: int) -> list[int]:
    due = Enrollment.objects.filter(status__in=DUE_STATUSES, due_at__lte=now, claimed_by__isnull=True).order_by(
        "due_at", "id"
    )
    claim = {
        "status": EnrollmentStatus.RUNNING,
        "claimed_by": worker_name,
        "claimed_at": now,
        "attempts": F("attempts") + 1,
    }
    if connection.features.has_select_for_update_skip_locked:
        # Rows another sweep holds are passed over, not waited for: both sweeps get work at once.
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            Enrollment.objects.filter(pk__in=ids).update(**claim)
        return ids
    # Compare-and-set: of two sweeps, only the one whose UPDATE still finds the row unclaimed wins.
    claimed = []
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if Enrollment.objects.filter(pk=pk, status__in=DUE_STATUSES, claimed_by__isnull=True).update(**claim):
            claimed.append(pk)
    return claimed


def _span(delta: dt.timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"


def _too_late(enrollment: Enrollment, compiled: Compiled, now: dt.datetime) -> str:
    kind = TriggerKind(compiled.playbook.trigger_kind)
    cap = MAX_LATENESS[kind]
    since, what = enrollment.due_at, "due" if enrollment.step_index == 0 else f"step {enrollment.step_index + 1} due"
    happened = enrollment.context.get("occurred_at")
    if enrollment.step_index == 0 and happened:
        # An event playbook is due when the scan finds the fact; it is late from when the fact happened.
        since, what = min(since, dt.datetime.fromisoformat(happened)), "the event happened"
    late = now - since
    if late <= cap:
        return ""
    return (
        f"too late: {what} {since.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC, {_span(late)} ago "
        f"({kind.label.lower()} playbooks run at most {_span(cap)} late)"
    )


def _skip_reason(
    enrollment: Enrollment, compiled: Compiled, snap: Snapshot | None, snoozed: dt.date | None, now: dt.datetime
) -> str:
    """Why the enrolment must not go on now, or "" (the fire-time re-check)."""
    late = _too_late(enrollment, compiled, now)
    if late:
        return late
    if snap is None or snap.get("account.status") == CHURNED:
        return "account churned"
    if snoozed is not None:
        return f"snoozed until {snoozed.isoformat()}"
    merged = {**snap, **enrollment.context.get("entry", {})}
    if compiled.trigger_condition is not None and not compiled.trigger_condition.evaluate(merged):
        return "the trigger condition no longer holds: " + "; ".join(compiled.trigger_condition.explain(merged))
    if compiled.conditions is not None and not compiled.conditions.evaluate(merged):
        return "conditions no longer hold: " + "; ".join(compiled.conditions.explain(merged))
    return ""


def _finish(enrollment: Enrollment, status: str, now: dt.datetime, **fields: Any) -> str:
    enrollment.status = status
    enrollment.claimed_by = None
    enrollment.claimed_at = None
    if status in (EnrollmentStatus.DONE, EnrollmentStatus.SKIPPED, EnrollmentStatus.FAILED):
        enrollment.finished_at = now
    for name, value in fields.items():
        setattr(enrollment, name, value)
    enrollment.save(
        update_fields=[
            "status",
            "claimed_by",
            "claimed_at",
            "finished_at",
            "step_index",
            "due_at",
            "skip_reason",
            "last_error",
            "context",
        ]
    )
    return status


def _run_step(enrollment: Enrollment, compiled: Compiled, index: int, now: dt.datetime) -> step_registry.Outcome:
    step = compiled.playbook.definition["steps"][index]
    ((kind, options),) = step.items()
    started = timezone.now()
    try:
        with transaction.atomic():
            outcome = step_registry.run(
                kind, step_registry.StepInput(enrollment, compiled.playbook, index, options, now)
            )
            if outcome.defer_until is None:
                StepRun.objects.create(
                    enrollment=enrollment,
                    index=index,
                    kind=kind,
                    status=outcome.status,
                    started_at=started,
                    finished_at=timezone.now(),
                    error=outcome.error,
                    result=outcome.result,
                )
                if outcome.summary and outcome.status == StepStatus.OK:
                    timeline.playbook_step_ran_entry(
                        enrollment.account,
                        playbook_key=compiled.key,
                        playbook_name=compiled.playbook.name,
                        enrollment_id=enrollment.pk,
                        index=index,
                        kind=kind,
                        summary=outcome.summary,
                        occurred_at=now,
                    ).save()
                # Durable per step: a worker that dies later resumes after this step, not at it.
                Enrollment.objects.filter(pk=enrollment.pk).update(step_index=index + 1, context=enrollment.context)
    except Exception as exc:  # the step rolled back; record why, visibly, and stop this enrolment
        log.exception("playbook %s enrolment %s step %s failed", compiled.key, enrollment.pk, index)
        error = f"{type(exc).__name__}: {exc}"
        StepRun.objects.create(
            enrollment=enrollment,
            index=index,
            kind=kind,
            status=StepStatus.FAILED,
            started_at=started,
            finished_at=timezone.now(),
            error=error,
            result={"traceback": traceback.format_exc(limit=5)[-2000:]},
        )
        return step_registry.Outcome(status=StepStatus.FAILED, error=error)
    return outcome


def run_enrollment(
    enrollment: Enrollment,
    snap: Snapshot | None,
    snoozed: dt.date | None,
    now: dt.datetime,
    compiled: Compiled | None = None,
) -> str:
    """Re-check a claimed enrolment, then run its steps until the end, a wait or a failure."""
    compiled = compiled or Compiled(enrollment.playbook)
    reason = _skip_reason(enrollment, compiled, snap, snoozed, now)
    if reason:
        return _finish(enrollment, EnrollmentStatus.SKIPPED, now, skip_reason=reason[:500])
    steps = compiled.playbook.definition["steps"]
    for index in range(enrollment.step_index, len(steps)):
        outcome = _run_step(enrollment, compiled, index, now)
        if outcome.defer_until is not None:
            return _finish(enrollment, EnrollmentStatus.WAITING, now, due_at=outcome.defer_until, step_index=index)
        if outcome.status == StepStatus.FAILED:
            return _finish(enrollment, EnrollmentStatus.FAILED, now, last_error=outcome.error, step_index=index)
        enrollment.step_index = index + 1
        if outcome.wait_until is not None:
            return _finish(enrollment, EnrollmentStatus.WAITING, now, due_at=outcome.wait_until)
    return _finish(enrollment, EnrollmentStatus.DONE, now)


def _snoozes(workspace_ids: set[int], account_ids: set[int], today_by_ws: dict[int, dt.date]) -> dict[int, dt.date]:
    latest: dict[int, dt.date] = {}
    rows = Snooze.objects.filter(workspace_id__in=workspace_ids, account_id__in=account_ids).values_list(
        "workspace_id", "account_id", "until"
    )
    for workspace_id, account_id, until in rows:
        if until >= today_by_ws[workspace_id]:
            latest[account_id] = max(until, latest.get(account_id, until))
    return latest


def sweep(*, now: dt.datetime | None = None, worker_name: str, limit: int = SWEEP_LIMIT) -> SweepResult:
    """Claim up to `limit` due enrolments and work them; each is run by exactly one sweep."""
    now = now or timezone.now()
    _release_stale(now)
    result = SweepResult()
    ids = _claim(now, worker_name, limit)
    result.claimed = len(ids)
    if not ids:
        return result
    enrollments = list(
        Enrollment.objects.filter(pk__in=ids)
        .select_related("playbook", "workspace", "account__workspace", "account__owner__user")
        .order_by("due_at", "id")
    )
    compiled: dict[int, Compiled] = {}
    by_workspace: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        by_workspace[enrollment.workspace_id].append(enrollment)
    for group in by_workspace.values():
        workspace = group[0].workspace
        today = local_day(now, workspace.time_zone)
        account_ids = {e.account_id for e in group}
        snapshots = build(workspace, today, account_ids)
        snoozed = _snoozes({workspace.pk}, account_ids, {workspace.pk: today})
        for enrollment in group:
            if enrollment.playbook_id not in compiled:
                compiled[enrollment.playbook_id] = Compiled(enrollment.playbook)
            status = run_enrollment(
                enrollment,
                snapshots.get(enrollment.account_id),
                snoozed.get(enrollment.account_id),
                now,
                compiled[enrollment.playbook_id],
            )
            result.add(status)
    return result


def sweep_until_idle(*, worker_name: str, budget_s: float = 50.0, now: dt.datetime | None = None) -> SweepResult:
    """Sweep batch after batch until nothing is due or the time budget is spent."""
    import time

    total = SweepResult()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        batch = sweep(now=now, worker_name=worker_name)
        for name in ("claimed", "done", "waiting", "skipped", "failed"):
            setattr(total, name, getattr(total, name) + getattr(batch, name))
        if batch.claimed == 0:
            break
    return total


def due_count(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return Enrollment.objects.filter(status__in=DUE_STATUSES, due_at__lte=now).count()
