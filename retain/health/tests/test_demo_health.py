"""The demo's health step: a score history to chart and band changes on the timeline, dated on their day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from retain.accounts.choices import EntryKind, Stage
from retain.accounts.models import Account, TimelineEntry
from retain.demo.generator import build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.demo.generator.health import score_days
from retain.health.models import HealthScore

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.xdist_group("test_demo_health"), pytest.mark.engine_neutral]

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=3, size=40, today=TODAY)  # the default 30 raw days
        yield ctx
        demo_delete()


def test_the_demo_scores_weekly_for_12_weeks_and_daily_for_the_last_week() -> None:
    days = score_days(TODAY)
    assert days[:12] == [TODAY - dt.timedelta(weeks=weeks) for weeks in range(12, 0, -1)]
    assert days[12:] == [TODAY - dt.timedelta(days=back) for back in range(6, -1, -1)]
    assert len(days) == 19


@pytest.mark.django_db
def test_every_customer_has_today_s_score_and_last_week_s(demo: DemoContext) -> None:
    customers = Account.objects.filter(workspace=demo.ws).exclude(stage=Stage.CHURNED)
    for day in (TODAY, TODAY - dt.timedelta(days=7)):
        scored = set(HealthScore.objects.filter(workspace=demo.ws, day=day).values_list("account_id", flat=True))
        assert scored >= set(customers.values_list("pk", flat=True))
    assert demo.counts["health_scores"] == HealthScore.objects.filter(workspace=demo.ws).count()


@pytest.mark.django_db
def test_band_changes_are_on_the_timeline_on_the_day_they_happened(demo: DemoContext) -> None:
    entries = TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.HEALTH_BAND_CHANGED)
    assert entries.count() == demo.counts["health_band_changes"] > 0
    for entry in entries:
        assert entry.occurred_at.date() == dt.date.fromisoformat(entry.data["day"])
        assert entry.summary.startswith(("Health turned", "Health could not be scored"))
