"""The demo workspace: a marketing-automation vendor's book of business, built from a seed.

The build is a pipeline of named steps sharing one DemoContext (the seed, the planned world with
each account's hidden engagement, the workspace and what has been written). A later feature
(surveys, health, renewals, journeys, playbooks) adds its part by adding a Step to STEPS, reading
the world and the written rows from the context and drawing from `ctx.rng("<its name>", ...)`, so
the rows earlier steps write stay exactly as they were. Key those generators by what the seed fixes
(an account's external id, a plan's index), never by a database id: ids depend on what the database
held before, and the same seed must build the same workspace in a fresh database or a used one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from retain.demo.generator import (
    accounts,
    coverage,
    education,
    health,
    inbound,
    insights,
    journeys,
    playbooks,
    portal,
    renewals,
    reviews,
    surveys,
    team,
    usage,
)
from retain.demo.generator.context import DEMO_SLUG, DemoContext, Step
from retain.demo.generator.world import plan_world
from retain.lib.dates import today_in
from retain.ownership.services import workspace_delete
from retain.tenancy.models import Workspace

STEPS: list[Step] = [
    Step("team", team.build_team),
    Step("accounts and subscriptions", accounts.build_accounts),
    Step("touchpoints", accounts.build_touchpoints),
    Step("usage history (rollups)", usage.build_usage_history),
    Step("recent usage (raw events)", usage.build_recent_usage),
    Step("rollup fold", usage.build_rollups),
    Step("product users", usage.build_usage_users),
    Step("renewal windows", accounts.build_renewal_windows),
    Step("renewals", renewals.build_renewals),
    Step("spend and quotas", renewals.build_spend_and_quotas),
    Step("survey history", surveys.build_surveys),
    Step("health scores", health.build_health),
    Step("journeys and success plans", journeys.build_journeys),
    Step("expansion signals", insights.build_expansion),
    Step("churn model", insights.build_churn_model),
    Step("playbooks", playbooks.build_playbooks),
    Step("business reviews", reviews.build_reviews),
    Step("inbound questions", inbound.build_inbound),
    Step("customer portal", portal.build_portal),
    Step("coverage, hand-offs and stakeholders", coverage.build_coverage),
    Step("education and portfolio targets", education.build_education),
]


def build_demo(
    *,
    seed: int = 42,
    size: int = 1000,
    raw_days: int = 30,
    today: dt.date | None = None,
    say: Callable[[str], None] = lambda line: None,
    steps: list[Step] | None = None,
) -> DemoContext:
    """Plan the world, then run each step, saying how long each took."""
    today = today or today_in("UTC")
    started = time.perf_counter()
    world = plan_world(seed=seed, size=size, today=today)
    former = sum(1 for account in world.accounts if account.former)
    say(
        f"  plan: {len(world.accounts) - former} accounts and {former} former customers "
        f"({time.perf_counter() - started:.1f}s)"
    )
    ctx = DemoContext(seed=seed, size=size, today=today, raw_days=raw_days, world=world)
    for step in STEPS if steps is None else steps:
        began = time.perf_counter()
        line = step.run(ctx)
        say(f"  {step.name}: {line} ({time.perf_counter() - began:.1f}s)")
    say(f"  total {time.perf_counter() - started:.1f}s")
    return ctx


def demo_workspace() -> Workspace | None:
    return Workspace.objects.filter(slug=DEMO_SLUG).first()


def demo_delete() -> bool:
    """Delete the demo workspace, every row it owns and the logins only it used; False when there was none."""
    workspace = demo_workspace()
    if workspace is None:
        return False
    workspace_delete(actor=None, workspace=workspace)
    return True
