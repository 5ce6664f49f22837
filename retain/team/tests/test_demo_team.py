"""The demo's team step: coverage saved, hand-offs for recent customers, groups, stakeholder maps
and a balancing plan, built through the team's services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from retain.demo.generator import build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.tasks.models import Task
from retain.team import selectors
from retain.team.models import BalancePlan, CoverageModel, Handoff, Stakeholder, Subsidiary

TODAY = dt.date(2026, 11, 20)
LINES: list[str] = []
# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_demo_team"), pytest.mark.engine_neutral]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=3, size=60, raw_days=14, today=TODAY, say=LINES.append)
        yield ctx
        demo_delete()


def test_the_demo_has_coverage_handoffs_groups_stakeholders_and_a_plan(demo: DemoContext) -> None:
    ws = demo.ws
    assert CoverageModel.objects.filter(workspace=ws).exists()
    handoffs = Handoff.objects.filter(workspace=ws)
    assert handoffs.exists()
    assert handoffs.count() >= 3
    assert Task.objects.filter(workspace=ws, source_ref__startswith="handoff:").count() == handoffs.count()
    assert Subsidiary.objects.filter(workspace=ws).values("parent").distinct().count() == 2
    parent = Subsidiary.objects.filter(workspace=ws).first().parent  # type: ignore[union-attr]
    group = selectors.group_of(parent)
    assert group is not None and group.arr >= parent.arr
    assert Stakeholder.objects.filter(workspace=ws, is_executive_sponsor=True).exists()
    assert BalancePlan.objects.filter(workspace=ws).count() == 1
    line = next(line for line in LINES if "coverage, hand-offs and stakeholders" in line)
    seconds = float(line.rsplit("(", 1)[1].rstrip("s)"))
    assert seconds < 10, line


def test_the_demo_has_education_from_a_csv_and_events_and_the_managers_targets(demo: DemoContext) -> None:
    from retain.team import targets
    from retain.team.models import Learning, PortfolioTarget

    ws = demo.ws
    learnings = Learning.objects.filter(workspace=ws)
    assert learnings.filter(source="csv", kind="webinar").exists()
    assert learnings.filter(source="event", kind="article").exists()
    assert {t.figure for t in PortfolioTarget.objects.filter(workspace=ws)} == {
        "unhealthy_share",
        "nrr",
        "qbr_coverage",
    }
    unhealthy = PortfolioTarget.objects.get(workspace=ws, figure="unhealthy_share")
    assert unhealthy.target_value == 0.25 and unhealthy.created_by is not None
    # The start is the figure's value the day it was set, read the way the health page reads it.
    assert unhealthy.start_value == targets.unhealthy_current(ws, TODAY).value
    line = next(line for line in LINES if "education and portfolio targets" in line)
    seconds = float(line.rsplit("(", 1)[1].rstrip("s)"))
    assert seconds < 10, line
