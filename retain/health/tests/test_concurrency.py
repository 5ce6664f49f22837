"""Two re-scores of the same accounts at once (real concurrent connections on PostgreSQL) write
each "Health turned red/green" entry once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from retain.accounts.choices import EntryKind
from retain.accounts.models import TimelineEntry
from retain.health import services
from retain.health.models import HealthScore, Pulse
from retain.health.tests.test_services import PULSE_ONLY, make_account
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

D = dt.date(2026, 6, 30)
ACCOUNTS = 10


def test_two_overlapping_re_scores_write_each_band_change_once(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    # Established paying customers: accounts without revenue are not scored yet, so never change band.
    accounts = [make_account(workspace, f"Account {n}") for n in range(ACCOUNTS)]
    for account in accounts:
        Pulse.objects.create(workspace=workspace, account=account, value=3, set_on=D - dt.timedelta(days=1))
    services.health_recompute(workspace=workspace, day=D - dt.timedelta(days=1))
    for account in accounts:
        Pulse.objects.create(workspace=workspace, account=account, value=1, set_on=D)

    # Both runs read the previous scores (all green) before either writes: the overlap in which
    # each one, on its own, would see a move from green to red.
    both_have_read = threading.Barrier(2, timeout=60)
    read_previous = services._previous

    def previous_then_wait(*args: Any) -> Any:
        found = read_previous(*args)
        both_have_read.wait()
        return found

    monkeypatch.setattr(services, "_previous", previous_then_wait)
    errors: list[BaseException] = []
    results: list[services.RecomputeResult] = []

    def rescore() -> None:
        try:
            results.append(services.health_recompute(workspace=workspace, day=D))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rescore) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert [result.band_changes for result in results] == [ACCOUNTS, ACCOUNTS]  # both saw every move
    entries = TimelineEntry.objects.filter(kind=EntryKind.HEALTH_BAND_CHANGED)
    assert sorted(entries.values_list("account_id", flat=True)) == sorted(a.pk for a in accounts)
    assert set(entries.values_list("data__band", flat=True)) == {"red"}
    assert HealthScore.objects.filter(day=D, band="red").count() == ACCOUNTS
