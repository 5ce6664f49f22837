"""Reads for the playbook pages (the list with its counts, a playbook's runs, an account's runs) and
for pages that show where a playbook-made task came from.

Every function takes the workspace and reads only its rows; counts are one grouped query each,
however many playbooks there are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from retain.accounts.models import Account
from retain.playbooks.choices import EnrollmentStatus, TimeFrom, TriggerKind
from retain.playbooks.models import Enrollment, Playbook, Snooze, StepRun
from retain.tasks.models import Task
from retain.tenancy.models import Workspace

RECENT_DAYS = 30
RUNS_SHOWN = 100

_FROM_WORDS = {
    TimeFrom.SUBSCRIPTION_START: "the subscription start",
    TimeFrom.CUSTOMER_SINCE: "the customer-since date",
    TimeFrom.RENEWAL_WINDOW: "the renewal window opening",
}


def _condition_words(condition: Mapping[str, Any] | None) -> str:
    if not condition:
        return ""
    for group, joiner in (("and", " and "), ("or", " or ")):
        if group in condition:
            return "(" + joiner.join(_condition_words(part) for part in condition[group]) + ")"
    if "not" in condition:
        return f"not {_condition_words(condition['not'])}"
    value = condition.get("value")
    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
    return f"{condition.get('attr')} {condition.get('op')} {shown}".strip()


def describe_trigger(trigger: Mapping[str, Any]) -> str:
    """The trigger in words: "30 days after the subscription start, then every 90 days"."""
    kind = trigger.get("kind")
    if kind == TriggerKind.TIME:
        origin = trigger.get("from", "")
        base = f"entering {trigger.get('stage')}" if origin == TimeFrom.STAGE_ENTRY else _FROM_WORDS.get(origin, origin)
        after = trigger.get("after_days", 0)
        words = f"on {base}" if after == 0 else f"{after} day{'s' if after != 1 else ''} after {base}"
        if trigger.get("every_days"):
            words += f", then every {trigger['every_days']} days"
        return words[0].upper() + words[1:]
    if kind == TriggerKind.DATA:
        words = f"When {_condition_words(trigger.get('condition'))} becomes true"
        if trigger.get("hold_hours"):
            words += f" and holds {trigger['hold_hours']} hours"
        return words
    if kind == TriggerKind.EVENT:
        from retain.accounts.choices import EntryKind

        entry = str(trigger.get("entry", ""))
        label = dict(EntryKind.choices).get(entry, entry)
        words = f"On “{label}”"
        if trigger.get("where"):
            words += f" where {_condition_words(trigger['where'])}"
        return words
    return str(kind)


@dataclass(frozen=True)
class PlaybookRow:
    playbook: Playbook
    trigger: str
    enrolled_30d: int
    failures_30d: int
    skipped_30d: int


def current_playbooks(workspace: Workspace) -> list[PlaybookRow]:
    """Every current playbook with its enrolments, failures and skips of the last 30 days."""
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    counts = {
        row["playbook_key"]: row
        for row in Enrollment.objects.filter(workspace=workspace, created_at__gte=since)
        .values("playbook_key")
        .annotate(
            total=Count("id"),
            failed=Count("id", filter=Q(status=EnrollmentStatus.FAILED)),
            skipped=Count("id", filter=Q(status=EnrollmentStatus.SKIPPED)),
        )
    }
    rows = []
    for playbook in Playbook.objects.filter(workspace=workspace, is_current=True).order_by("key"):
        found: Mapping[str, Any] = counts.get(playbook.key) or {}
        rows.append(
            PlaybookRow(
                playbook=playbook,
                trigger=describe_trigger(playbook.definition.get("trigger", {})),
                enrolled_30d=found.get("total", 0),
                failures_30d=found.get("failed", 0),
                skipped_30d=found.get("skipped", 0),
            )
        )
    return rows


def current_playbook(workspace: Workspace, key: str) -> Playbook | None:
    return Playbook.objects.filter(workspace=workspace, key=key, is_current=True).first()


def versions(workspace: Workspace, key: str) -> QuerySet[Playbook]:
    return Playbook.objects.filter(workspace=workspace, key=key).select_related("created_by__user").order_by("-version")


def _runs(queryset: QuerySet[Enrollment]) -> list[Enrollment]:
    """The latest enrolments, each with `steps`: its step runs in order, each with the `ms` it took."""
    prefetch = Prefetch("step_runs", queryset=StepRun.objects.order_by("index"), to_attr="steps")
    rows: list[Enrollment] = list(
        queryset.select_related("account", "playbook")
        .prefetch_related(prefetch)
        .order_by("-created_at", "-id")[:RUNS_SHOWN]
    )
    for enrollment in rows:
        for run in getattr(enrollment, "steps", []):
            setattr(run, "ms", round(step_seconds(run) * 1000))  # noqa: B010 (shown by the template)
    return rows


def playbook_runs(workspace: Workspace, key: str, status: str = "") -> list[Enrollment]:
    """The latest enrolments of a playbook (any version), each with its step runs in order."""
    queryset = Enrollment.objects.filter(workspace=workspace, playbook_key=key)
    if status:
        queryset = queryset.filter(status=status)
    return _runs(queryset)


def account_runs(account: Account) -> list[Enrollment]:
    return _runs(Enrollment.objects.filter(workspace_id=account.workspace_id, account=account))


def active_snooze(account: Account, today: dt.date) -> Snooze | None:
    return Snooze.objects.filter(account=account, until__gte=today).order_by("-until").first()


def step_seconds(run: StepRun) -> float:
    return (run.finished_at - run.started_at).total_seconds()


def playbook_names(workspace_id: int, keys: Iterable[str]) -> dict[str, str]:
    """The current name of each playbook key, for showing where playbook-made tasks came from."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    rows = Playbook.objects.filter(workspace_id=workspace_id, key__in=wanted, is_current=True).values_list(
        "key", "name"
    )
    return dict(rows)


def with_playbook_names(workspace_id: int, tasks: Iterable[Task]) -> list[Task]:
    """The tasks, each given `playbook_name` (its playbook's current name, else its key; "" for manual)."""
    rows = list(tasks)
    names = playbook_names(workspace_id, (task.playbook_key for task in rows))
    for task in rows:
        task.playbook_name = names.get(task.playbook_key, task.playbook_key)  # type: ignore[attr-defined]  # a display attribute set on the row for the template
    return rows
