"""The demo's playbooks have a past: 30 days of scans and sweeps, and tasks the team worked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from retain.accounts.choices import EntryKind, Stage
from retain.accounts.models import TimelineEntry, Touchpoint
from retain.demo.generator import build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.lib.dates import local_day, start_of_day
from retain.playbooks.models import Enrollment
from retain.tasks.choices import TaskStatus
from retain.tasks.models import Task

TODAY = dt.date(2026, 11, 20)
LINES: list[str] = []

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_demo_playbooks"), pytest.mark.engine_neutral]


# Seed 5: its replayed month holds detractor answers of accounts still customers (a seed whose month
# has none would leave the follow-up test nothing to check).
SEED = 5


def _build(seed: int) -> DemoContext:
    return build_demo(seed=seed, size=80, raw_days=30, today=TODAY, say=LINES.append)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = _build(SEED)
        yield ctx
        demo_delete()


def _fingerprint(ctx: DemoContext) -> list[tuple[Any, ...]]:
    names = {pk: key for key, pk in ((k, a.pk) for k, a in ctx.accounts.items())}
    tasks = Task.objects.filter(workspace=ctx.ws).order_by("pk")
    return [(names[t.account_id], t.title, t.status, t.due_on, t.created_at, t.completed_at, t.outcome) for t in tasks]


def test_enrolments_are_spread_over_the_past_month(demo: DemoContext) -> None:
    tz = demo.ws.time_zone
    enrolled = Enrollment.objects.filter(workspace=demo.ws)
    days = {local_day(at, tz) for at in enrolled.values_list("created_at", flat=True)}
    assert min(days) >= TODAY - dt.timedelta(days=30)
    assert max(days) <= TODAY
    assert len([day for day in days if day < TODAY]) >= 10, sorted(days)


def test_most_tasks_were_done_in_the_past_with_an_outcome(demo: DemoContext) -> None:
    tasks = Task.objects.filter(workspace=demo.ws, source="playbook")
    done = list(tasks.filter(status=TaskStatus.DONE))
    assert len(done) > tasks.count() / 2
    end_of_today = start_of_day(TODAY, demo.ws.time_zone)
    for task in done:
        assert task.outcome
        assert task.completed_by_id == task.owner_id
        assert task.completed_at is not None
        assert task.created_at <= task.completed_at < end_of_today
    # The playbooks' tasks (inbound questions' tasks are done on the timeline too, by the inbound step).
    completed = TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.TASK_COMPLETED, data__source="playbook")
    assert completed.count() == len(done)
    assert max(completed.values_list("occurred_at", flat=True)) < end_of_today
    logged = Touchpoint.objects.filter(workspace=demo.ws, summary__in=[f"{t.title}: {t.outcome}" for t in done])
    assert logged.exists()
    assert all(at < end_of_today for at in logged.values_list("occurred_at", flat=True))


def test_some_tasks_are_open_and_overdue_and_some_were_cancelled(demo: DemoContext) -> None:
    tasks = Task.objects.filter(workspace=demo.ws, source="playbook")
    assert tasks.filter(status=TaskStatus.OPEN, due_on__lt=TODAY).exists()
    assert tasks.filter(status=TaskStatus.OPEN, due_on__gte=TODAY).exists()
    assert tasks.filter(status=TaskStatus.CANCELLED).exists()
    # Created over the month, not all at once.
    assert tasks.filter(created_at__lt=start_of_day(TODAY - dt.timedelta(days=14), demo.ws.time_zone)).exists()


def test_the_same_seed_builds_the_same_playbook_history(demo: DemoContext) -> None:
    first = _fingerprint(demo)
    demo_delete()
    again = _build(SEED)
    assert _fingerprint(again) == first


def test_every_detractor_of_the_month_got_a_follow_up(demo: DemoContext) -> None:
    # Answers of the replayed month reach the scan on the day they were given, as they would live.
    first_scan = start_of_day(TODAY - dt.timedelta(days=30), demo.ws.time_zone)
    detractors = TimelineEntry.objects.filter(
        workspace=demo.ws, kind=EntryKind.DETRACTOR_ANSWERED, occurred_at__gte=first_scan
    ).exclude(account__stage=Stage.CHURNED)
    assert detractors.exists()
    followed = set(
        Enrollment.objects.filter(workspace=demo.ws, playbook_key="detractor-follow-up").values_list(
            "occurrence_key", flat=True
        )
    )
    missing = [entry.summary for entry in detractors if f"entry:{entry.pk}" not in followed]
    assert missing == []
