"""Playbook scans beside other writers on PostgreSQL (real concurrent connections).

- Two scans of a limited playbook overlap: the first has read the limit's history and written
  its enrolment but not committed when the second starts, a day later by its clock, so the two
  would fire different occurrences (edge:today and edge:tomorrow) that the unique key alone
  cannot stop.
- A detractor's answer inserted before another but committed after it (ids are handed out at
  insert, seen at commit) still reaches the event trigger's scan.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection, transaction

from retain.accounts import services as account_services
from retain.accounts import timeline
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.playbooks import engine
from retain.playbooks.models import Enrollment
from retain.playbooks.tests.helpers import playbook, score
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RED = {"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}}


def _waiting_or_done(thread: threading.Thread, deadline_seconds: float = 15) -> bool:
    """True once `thread` has finished or another connection waits for a lock; False at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                return True
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)  # a polling interval, bounded by the deadline
    return False


def test_two_overlapping_scans_fire_a_limited_playbook_once(
    workspace: Workspace, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook(workspace, key="risk-review", trigger=RED, limits={"max": 1, "per_days": 30})
    today = dt.date.today()
    score(account, today, 30, "red")
    score(account, today + dt.timedelta(days=1), 30, "red")
    now = engine.timezone.now()
    first_wrote = threading.Event()
    release_first = threading.Event()
    real_enrol = engine._enrol

    def enrol_then_hold(ws: Workspace, occurrences: Sequence[engine.Occurrence]) -> int:
        made = real_enrol(ws, occurrences)
        if threading.current_thread().name == "first" and occurrences:
            first_wrote.set()
            release_first.wait(timeout=30)
        return made

    monkeypatch.setattr(engine, "_enrol", enrol_then_hold)
    errors: dict[str, BaseException] = {}

    def scan(at: dt.datetime) -> None:
        try:
            engine.scan(workspace=workspace, now=at)
        except BaseException as exc:
            errors[threading.current_thread().name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=scan, args=(now,), name="first")
    first.start()
    assert first_wrote.wait(timeout=30), errors
    second = threading.Thread(target=scan, args=(now + dt.timedelta(days=1),), name="second")
    second.start()
    try:
        assert _waiting_or_done(second)
    finally:
        release_first.set()
        first.join()
        second.join()
    assert errors == {}
    fired: list[Any] = list(Enrollment.objects.filter(account=account).values_list("occurrence_key", flat=True))
    assert fired == [f"edge:{today.isoformat()}"]


def _detractor(contact: Contact, response_id: int) -> None:
    timeline.detractor_answered_entry(
        contact, survey_name="NPS", survey_id=1, response_id=response_id, score=3, comment="", via="api",
        occurred_at=engine.timezone.now(),
    ).save()  # fmt: skip


def test_an_answer_committed_after_a_later_one_still_fires(workspace: Workspace, account: Account) -> None:
    playbook(workspace, key="detractor-follow-up", trigger={"kind": "event", "entry": "detractor_answered"})
    slow, quick = (
        account_services.contact_create(account=account, actor=None, via="test", email=f"{name}@globex.example")
        for name in ("slow", "quick")
    )
    slow_inserted = threading.Event()
    release_slow = threading.Event()
    errors: list[BaseException] = []

    def answer_slowly() -> None:
        try:
            with transaction.atomic():
                _detractor(slow, 1)
                slow_inserted.set()
                release_slow.wait(timeout=30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=answer_slowly)
    thread.start()
    try:
        assert slow_inserted.wait(timeout=30), errors
        _detractor(quick, 2)  # a higher id, committed first
        engine.scan(workspace=workspace)
    finally:
        release_slow.set()
        thread.join()
    assert errors == []
    engine.scan(workspace=workspace)
    answers = TimelineEntry.objects.filter(kind=EntryKind.DETRACTOR_ANSWERED).values_list("pk", flat=True)
    assert len(answers) == 2
    fired = Enrollment.objects.filter(playbook_key="detractor-follow-up").values_list("occurrence_key", flat=True)
    assert sorted(fired) == sorted(f"entry:{pk}" for pk in answers)
