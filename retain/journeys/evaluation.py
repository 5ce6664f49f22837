"""Milestones that complete themselves: set-based evaluation of every journey of a workspace (reads
only; journeys.services.journeys_advance writes what it finds).

A fixed handful of queries whatever the number of accounts: the journeys with their templates, their
progress rows, the daily rollups the criteria need, and one bulk update. Each account's snapshot
holds only the attributes its template's conditions read (see journeys.templates for their meaning).

Statuses, as of the evaluation day D:

- done: completed on or before the due date; done late: completed after it.
- not started: not done, not yet due, and nothing moved on it (no tick, no key event it reads, no
  lead or sale counted towards a goal it reads).
- on track: not done, not yet due, and something moved on it.
- behind: past due by at most STUCK_AFTER_DAYS (14) days.
- stuck: past due by more than 14 days, or past due with its last progress more than
  NO_PROGRESS_DAYS (21) days ago.
- closed: the journey ended (the account churned) before the milestone was reached; a closed journey
  is not evaluated again, so its milestones never count as behind or stuck.

A renewal milestone (kind ``renewal``) is not evaluated here: it completes when the account's
renewal closes as renewed (journeys.services.milestone_renewal_record, called by renewals).

When a data milestone's criteria hold it completes, with evidence. Its completion day is the latest
day one of the key events it reads was first seen, when it reads only ``.seen``/``.count``
attributes (so a late evaluation does not make an on-time milestone late); criteria over a window
(``count_14d``, ``usage.*``) held on D, so they complete on D. Criteria that read only goal shares
(``measures.<to-date>.goal_pct``: leads and sales since the journey started, which only grow)
complete on the first day of the run of days ending on D on which they held, so an evaluation that
comes late (a replay, a worker that was down) dates Achievement when the goals' share was reached,
against the goals as they stand on D. A completed milestone stays done.
Completing the "initial value" milestone moves an onboarding account to adoption. Every completion
is written once on the account's timeline (MILESTONE_COMPLETED, dated on its completion day).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from retain.accounts.models import Account
from retain.health.warehouse.kinds import latest_values as latest_warehouse_values
from retain.journeys import measured
from retain.journeys.choices import MilestoneKind, MilestoneStatus
from retain.journeys.defaults import INITIAL_VALUE
from retain.journeys.hooks import goals_for, provided_attrs, provided_values
from retain.journeys.models import Journey, MilestoneProgress
from retain.journeys.templates import WAREHOUSE_PREFIX, event_attr
from retain.lib.conditions import Condition, parse
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage
from retain.usage.vocabulary import MEASURED_EVENTS

STUCK_AFTER_DAYS = 14
NO_PROGRESS_DAYS = 21
WINDOW_14 = 14
WINDOW_30 = 30


def status_of(progress: MilestoneProgress, today: dt.date, closed_on: dt.date | None = None) -> str:
    """The status of one milestone on `today` (the thresholds are in the module docstring);
    `closed_on` is the day its journey closed, if it did."""
    if progress.completed_on is None and closed_on is not None and closed_on <= today:
        return MilestoneStatus.CLOSED
    if progress.completed_on is not None:
        return MilestoneStatus.DONE if progress.completed_on <= progress.due_on else MilestoneStatus.DONE_LATE
    if today <= progress.due_on:
        return MilestoneStatus.ON_TRACK if progress.last_progress_on else MilestoneStatus.NOT_STARTED
    overdue = (today - progress.due_on).days
    quiet = progress.last_progress_on is not None and (today - progress.last_progress_on).days > NO_PROGRESS_DAYS
    return MilestoneStatus.STUCK if overdue > STUCK_AFTER_DAYS or quiet else MilestoneStatus.BEHIND


@dataclass
class _Usage:
    """What the rollups say about one account since its journey started."""

    first_seen: dict[str, dt.date] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    counts_14d: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    active_days_30d: int = 0
    events_30d: int = 0
    # Per day, the measured events' counts since the journey started (journeys.measured).
    daily: dict[str, dict[dt.date, int]] = field(default_factory=dict)


@dataclass
class EvaluationResult:
    evaluated: int = 0
    completed: int = 0
    moved_to_adoption: int = 0
    changed_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.evaluated} journeys, {self.completed} milestones completed, {self.moved_to_adoption} to adoption"


def _snapshot(account: Account, usage: _Usage, attrs: Iterable[str]) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for attr in attrs:
        parsed = event_attr(attr)
        if parsed is not None:
            name, measure = parsed
            if measure == "seen":
                snapshot[attr] = name in usage.first_seen
            elif measure == "count":
                snapshot[attr] = usage.counts.get(name, 0)
            else:
                snapshot[attr] = usage.counts_14d.get(name, 0)
        elif attr == "usage.active_days_30d":
            snapshot[attr] = usage.active_days_30d
        elif attr == "usage.events_30d":
            snapshot[attr] = usage.events_30d
        elif attr.startswith("account."):
            snapshot[attr] = getattr(account, attr.split(".", 1)[1])
    return snapshot


def _evidence(
    condition: Condition, snapshot: dict[str, Any], usage: _Usage, readings: dict[str, measured.Reading]
) -> dict[str, Any]:
    words: list[str] = []
    events: dict[str, str] = {}
    for attr in sorted(condition.attrs()):
        parsed = event_attr(attr)
        if attr in readings:
            words.append(readings[attr].reason)
            continue
        if parsed is None:
            if attr.startswith("usage."):
                words.append(f"{attr.split('.', 1)[1].replace('_', ' ')}: {snapshot.get(attr)}")
            elif not attr.startswith("account.") and attr in snapshot:
                # A provided attribute in words: "portal.visits_30d" reads "portal visits 30d".
                label = attr.replace(".", " ").replace("_", " ")
                value = snapshot[attr]
                words.append(f"{label}: {value:g}" if isinstance(value, float) else f"{label}: {value}")
            continue
        name, measure = parsed
        if measure == "count_14d":
            words.append(f"{name} ×{usage.counts_14d.get(name, 0)} in {WINDOW_14} days")
        elif name in usage.first_seen and name not in events:
            events[name] = usage.first_seen[name].isoformat()
            words.append(f"{name} on {events[name]}")
    evidence: dict[str, Any] = {"summary": ", ".join(words), "events": events, "explain": condition.explain(snapshot)}
    if readings:
        evidence["measures"] = {attr: {"value": r.value, **r.detail} for attr, r in readings.items()}
    return evidence


def _measure(
    condition: Condition,
    progress: MilestoneProgress,
    journey: Journey,
    usage: _Usage,
    goals: dict[str, float],
    today: dt.date,
) -> dict[str, measured.Reading]:
    """The measured attributes the condition reads, for this milestone; a baseline taken now is kept
    on the progress row (progress.measured["baseline"]) and reused from then on."""
    readings: dict[str, measured.Reading] = {}
    kept: dict[str, Any] = dict((progress.measured or {}).get("baseline") or {})
    for attr in sorted(condition.attrs()):
        parsed = measured.measure_attr(attr)
        if parsed is None:
            continue
        name, form = parsed
        if form == "growth_pct":
            reading = measured.read_growth(name, usage.daily, journey.started_on, today, kept.get(name))
            if name not in kept and "baseline" in reading.detail:
                kept[name] = reading.detail["baseline"]
        else:
            goal_name = measured.GOAL_MEASURES[name][1]
            reading = measured.read_goal(name, usage.daily, journey.started_on, today, goals.get(goal_name))
        readings[attr] = reading
    if not readings:
        return readings
    progress.measured = {
        "baseline": kept,
        "as_of": today.isoformat(),
        "readings": {attr: {"value": r.value, "words": r.reason} for attr, r in readings.items()},
    }
    return readings


def _goal_attr(attr: str) -> bool:
    parsed = measured.measure_attr(attr)
    return parsed is not None and parsed[1] == "goal_pct"


def reads_a_window(criteria: dict[str, Any]) -> bool:
    """True when a data milestone's criteria read a window ending on the evaluation day (count_14d,
    usage.*): such a milestone completes on the day it is evaluated, not on a day an event was seen.
    Criteria that read only goal shares (to date, so they only grow) are dated by `_goal_day`."""
    attrs = parse(criteria).attrs()
    if attrs and all(_goal_attr(attr) for attr in attrs):
        return False
    for attr in attrs:
        parsed = event_attr(attr)
        if (parsed is None and not attr.startswith("account.")) or (parsed is not None and parsed[1] == "count_14d"):
            return True
    return False


def reads_a_goal(criteria: dict[str, Any]) -> bool:
    """True when a data milestone's criteria compare a to-date measure with the success plan's goal."""
    return any(_goal_attr(attr) for attr in parse(criteria).attrs())


def _goal_day(
    condition: Condition, usage: _Usage, goals: dict[str, float], started_on: dt.date, today: dt.date
) -> dt.date:
    """For criteria over goal shares only, holding on `today`: the first day of the run of days ending
    today on which they held, so a milestone evaluated late is dated when the share was reached.

    To-date counts change only on days with events: walking those days back from today, each step
    takes that day's counts off, until the criteria no longer hold.
    """
    measures = {attr: measured.GOAL_MEASURES[attr.split(".")[1]] for attr in condition.attrs()}
    events = {event for event, _ in measures.values()}
    totals = {
        event: sum(n for day, n in usage.daily.get(event, {}).items() if started_on <= day <= today) for event in events
    }
    days = sorted({day for e in events for day in usage.daily.get(e, {}) if started_on <= day <= today}, reverse=True)
    reached = today
    for day in days:
        snapshot = {
            attr: totals[event] / goals[goal] * 100
            for attr, (event, goal) in measures.items()
            if goals.get(goal, 0) > 0
        }
        if not condition.evaluate(snapshot):
            break
        reached = day
        for event in events:
            totals[event] -= usage.daily.get(event, {}).get(day, 0)
    return reached


def _goal_reading(
    attr: str, usage: _Usage, goals: dict[str, float], started_on: dt.date, day: dt.date
) -> measured.Reading:
    name = attr.split(".")[1]
    return measured.read_goal(name, usage.daily, started_on, day, goals.get(measured.GOAL_MEASURES[name][1]))


def _completion_day(condition: Condition, usage: _Usage, today: dt.date) -> dt.date:
    days: list[dt.date] = []
    for attr in condition.attrs():
        parsed = event_attr(attr)
        if parsed is None or parsed[1] == "count_14d":
            return today
        if parsed[0] in usage.first_seen:
            days.append(usage.first_seen[parsed[0]])
    return min(max(days), today) if days else today


def _journeys(workspace: Workspace, account_ids: list[int] | None) -> list[Journey]:
    # A closed journey (the account churned) is history: its milestones no longer move.
    queryset: QuerySet[Journey] = Journey.objects.filter(workspace=workspace, closed_on__isnull=True).select_related(
        "template", "account"
    )
    if account_ids is not None and len(account_ids) <= MAX_IDS_IN_QUERY:
        queryset = queryset.filter(account_id__in=account_ids)
    wanted = None if account_ids is None else set(account_ids)
    return [j for j in queryset.order_by("id") if wanted is None or j.account_id in wanted]


def _usage(workspace: Workspace, journeys: list[Journey], today: dt.date, needs_usage: bool) -> dict[int, _Usage]:
    found: dict[int, _Usage] = {journey.account_id: _Usage() for journey in journeys}
    if not needs_usage or not journeys:
        return found
    started = {journey.account_id: journey.started_on for journey in journeys}
    earliest = min(min(started.values()), today - dt.timedelta(days=WINDOW_30 - 1))
    rows = DailyAccountUsage.objects.filter(workspace=workspace, day__gte=earliest, day__lte=today)
    if len(started) <= MAX_IDS_IN_QUERY:
        rows = rows.filter(account_id__in=list(started))
    since_14 = today - dt.timedelta(days=WINDOW_14 - 1)
    since_30 = today - dt.timedelta(days=WINDOW_30 - 1)
    for account_id, day, events, key_events in rows.order_by("day").values_list(
        "account_id", "day", "events", "key_events"
    ):
        usage = found.get(account_id)
        if usage is None:
            continue
        if day >= since_30:
            usage.events_30d += events
            usage.active_days_30d += 1 if events else 0
        if day < started[account_id]:
            continue
        for name, count in (key_events or {}).items():
            if not count:
                continue
            if name in MEASURED_EVENTS:
                usage.daily.setdefault(name, {})[day] = count
            usage.first_seen.setdefault(name, day)
            usage.counts[name] += count
            if day >= since_14:
                usage.counts_14d[name] += count
    return found


@dataclass
class Evaluation:
    """What evaluating journeys on a day found, before anything is written: the progress rows whose
    completion moved (changed in memory), the rows whose status alone moved (by status), the
    milestones completed now, and the accounts that reached initial value."""

    today: dt.date
    journeys: list[Journey]
    result: EvaluationResult
    changed: list[MilestoneProgress] = field(default_factory=list)
    moved_status: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    completed: list[MilestoneProgress] = field(default_factory=list)
    reached_initial_value: list[Account] = field(default_factory=list)


def _criteria(journeys: list[Journey]) -> tuple[dict[tuple[int, str], Condition], dict[int, set[str]]]:
    """Each data milestone's parsed criteria by (template, key), and the attributes each template reads."""
    conditions: dict[tuple[int, str], Condition] = {}
    attrs_by_template: dict[int, set[str]] = defaultdict(set)
    for journey in journeys:
        template = journey.template
        for milestone in template.milestones:
            if milestone["kind"] == MilestoneKind.DATA and (template.pk, milestone["key"]) not in conditions:
                parsed = parse(milestone["criteria"])
                conditions[(template.pk, milestone["key"])] = parsed
                attrs_by_template[template.pk] |= parsed.attrs()
    return conditions, attrs_by_template


def evaluate(*, workspace: Workspace, today: dt.date, account_ids: Iterable[int] | None = None) -> Evaluation:
    """Which milestones complete and which statuses move on `today`, for many accounts at once.

    Reads only: the progress rows it returns are changed in memory; journeys.services.journeys_advance
    writes them.
    """
    ids = None if account_ids is None else sorted(set(account_ids))
    journeys = _journeys(workspace, ids)
    found = Evaluation(today=today, journeys=journeys, result=EvaluationResult(evaluated=len(journeys)))
    if not journeys:
        return found
    conditions, attrs_by_template = _criteria(journeys)
    needs_usage = any(not attr.startswith("account.") for attrs in attrs_by_template.values() for attr in attrs)
    by_journey = {journey.pk: journey for journey in journeys}
    rows = MilestoneProgress.objects.filter(workspace=workspace)
    if len(by_journey) <= MAX_IDS_IN_QUERY:
        rows = rows.filter(journey_id__in=list(by_journey))
    progress_rows = [progress for progress in rows if progress.journey_id in by_journey]
    # Only journeys with a data milestone still open read the rollups (a completed one stays done).
    reading = {
        progress.journey_id
        for progress in progress_rows
        if progress.completed_on is None and (by_journey[progress.journey_id].template_id, progress.key) in conditions
    }
    usage_by_account = _usage(workspace, [by_journey[pk] for pk in sorted(reading)], today, needs_usage)
    reads_goals = any(
        (p := measured.measure_attr(attr)) is not None and p[1] == "goal_pct"
        for attrs in attrs_by_template.values()
        for attr in attrs
    )
    reading_accounts = sorted(usage_by_account)
    # Attributes other apps provide (journeys.hooks.attr_provider_register), read once for all accounts.
    known_provided = set(provided_attrs())
    wanted_provided = {attr for attrs in attrs_by_template.values() for attr in attrs if attr in known_provided}
    provided = (
        provided_values(workspace, reading_accounts, today, wanted_provided)
        if wanted_provided and reading_accounts
        else {}
    )
    # Warehouse measures (`warehouse.<key>`), read once for all accounts like the scorecards read them.
    warehouse_keys = {
        attr[len(WAREHOUSE_PREFIX) :]
        for attrs in attrs_by_template.values()
        for attr in attrs
        if attr.startswith(WAREHOUSE_PREFIX)
    }
    warehouse = (
        latest_warehouse_values(workspace.pk, reading_accounts, today, warehouse_keys)
        if warehouse_keys and reading_accounts
        else {}
    )
    goals = (
        goals_for(workspace.pk, reading_accounts if len(reading_accounts) <= MAX_IDS_IN_QUERY else None)
        if reads_goals and reading_accounts
        else {}
    )
    for progress in progress_rows:
        journey = by_journey[progress.journey_id]
        before = (progress.status, progress.completed_on, progress.last_progress_on, progress.measured)
        condition = conditions.get((journey.template_id, progress.key))
        if condition is not None and progress.completed_on is None:
            usage = usage_by_account[journey.account_id]
            read = [
                usage.first_seen[n]
                for a in condition.attrs()
                if (p := event_attr(a)) and (n := p[0]) in usage.first_seen
            ]
            # A goal share moves with every lead or sale: the last one since the journey started.
            read += [
                max(days)
                for a in condition.attrs()
                if _goal_attr(a)
                and (days := [d for d in usage.daily.get(measured.GOAL_MEASURES[a.split(".")[1]][0], {}) if d <= today])
            ]
            if read:
                progress.last_progress_on = max(read)
            snapshot = _snapshot(journey.account, usage, attrs_by_template[journey.template_id])
            snapshot.update(provided.get(journey.account_id, {}))
            snapshot.update(
                {f"{WAREHOUSE_PREFIX}{key}": value for key, value in warehouse.get(journey.account_id, {}).items()}
            )
            readings = _measure(condition, progress, journey, usage, goals.get(journey.account_id, {}), today)
            for attr, found_reading in readings.items():
                # A measure with no value stays out of the snapshot: its leaf is false (lib.conditions).
                snapshot.pop(attr, None)
                if found_reading.value is not None:
                    snapshot[attr] = found_reading.value
            if condition.evaluate(snapshot):
                if all(_goal_attr(attr) for attr in condition.attrs()):
                    goals_of = goals.get(journey.account_id, {})
                    reached = _goal_day(condition, usage, goals_of, journey.started_on, today)
                    # The evidence says what the shares were on the day they were reached.
                    readings = {
                        attr: _goal_reading(attr, usage, goals_of, journey.started_on, reached) for attr in readings
                    }
                    snapshot.update({attr: reading.value for attr, reading in readings.items()})
                    progress.completed_on = reached
                else:
                    progress.completed_on = _completion_day(condition, usage, today)
                progress.evidence = _evidence(condition, snapshot, usage, readings)
                progress.last_progress_on = progress.completed_on
                found.result.completed += 1
                journey.account.workspace = workspace
                progress.account = journey.account
                found.completed.append(progress)
                if progress.key == INITIAL_VALUE:
                    found.reached_initial_value.append(journey.account)
        progress.status = status_of(progress, today)
        if (progress.completed_on, progress.last_progress_on, progress.measured) != before[1:]:
            found.changed.append(progress)
        elif progress.status != before[0]:
            # Most nights only the calendar moves a status: one UPDATE per status, not a row each.
            found.moved_status[progress.status].append(progress.pk)
    found.result.changed_ids = [progress.pk for progress in found.changed] + [
        pk for pks in found.moved_status.values() for pk in pks
    ]
    return found
