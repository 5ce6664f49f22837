"""The demo's customer portal: professional-edition enterprise and strategic accounts with invited
contacts who signed in and ticked through the portal's services, and resources per stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from retain.accounts.choices import EntryKind, Stage
from retain.accounts.models import TimelineEntry
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.plans.models import PlanEvent
from retain.portal import selectors
from retain.portal.choices import ActivityKind
from retain.portal.models import PortalAccess, PortalActivity, Resource

TODAY = dt.date(2026, 11, 20)
NEEDED = {"team", "accounts and subscriptions", "journeys and success plans", "customer portal"}

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("test_demo_portal")]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    with django_db_blocker.unblock():
        ctx = build_demo(seed=11, size=60, raw_days=5, today=TODAY, steps=[s for s in STEPS if s.name in NEEDED])
        yield ctx
        demo_delete()


def test_professional_accounts_of_the_portal_tiers_have_portal_users_who_signed_in_and_ticked(
    demo: DemoContext,
) -> None:
    accesses = list(PortalAccess.objects.filter(workspace=demo.ws).select_related("account"))
    assert accesses
    assert {a.account.edition for a in accesses} == {"professional"}
    assert {a.account.tier for a in accesses} <= set(selectors.portal_tiers(demo.ws))
    sign_ins = PortalActivity.objects.filter(workspace=demo.ws, kind=ActivityKind.SIGN_IN)
    ticks = PortalActivity.objects.filter(workspace=demo.ws, kind=ActivityKind.TICK)
    assert sign_ins.count() > 0 and ticks.count() > 0
    assert max(a.at.date() for a in sign_ins) <= TODAY
    # Through the services: each sign-in and tick is on the timeline, ticks of commitments in the plan's history.
    assert TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.PORTAL_SIGNED_IN).count() == sign_ins.count()
    assert TimelineEntry.objects.filter(workspace=demo.ws, kind=EntryKind.PORTAL_ACTION).count() == ticks.count()
    assert PlanEvent.objects.filter(plan__workspace=demo.ws, summary__contains="→ Done").exists()


def test_resources_cover_every_stage_a_customer_is_in(demo: DemoContext) -> None:
    stages = {stage for r in Resource.objects.filter(workspace=demo.ws) for stage in r.stages}
    assert stages >= {Stage.ONBOARDING, Stage.ADOPTION, Stage.SUCCESS, Stage.RENEWAL}
    assert all(r.refreshed_on <= TODAY for r in Resource.objects.filter(workspace=demo.ws))
