"""Demo step: the default scorecards and a score history to look at.

Weekly scores for the last 12 weeks and daily ones for the last 7 days, each computed by the real
`health_recompute` as of that day (from the rollups and dated history the earlier steps wrote), so
the account page has a chart and "what changed since last week", and band changes land on the
timeline on the day they happened. Each day scores the accounts that were customers that day, as
the nightly run then would have: none before it became a customer, and one that left later is
scored until it left.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from retain.demo.generator.context import DemoContext
from retain.health.choices import Band
from retain.health.services import health_recompute, scorecards_install_defaults

WEEKS = 12
RECENT_DAYS = 7


def score_days(today: dt.date) -> list[dt.date]:
    """The days the demo scores, oldest first: every 7th day back 12 weeks, then every recent day."""
    weekly = {today - dt.timedelta(days=7 * week) for week in range(1, WEEKS + 1)}
    daily = {today - dt.timedelta(days=back) for back in range(RECENT_DAYS)}
    return sorted(weekly | daily)


def build_health(ctx: DemoContext) -> str:
    scorecards_install_defaults(workspace=ctx.ws)
    days = score_days(ctx.today)
    scores = changes = 0
    bands: Counter[str] = Counter()
    for day in days:
        customers = [ctx.accounts[plan.external_id].pk for plan in ctx.world.accounts if plan.is_customer_on(day)]
        result = health_recompute(workspace=ctx.ws, day=day, account_ids=customers)
        scores += result.accounts
        changes += result.band_changes
        bands = Counter(result.bands)
    ctx.counts["health_scores"] = scores
    ctx.counts["health_band_changes"] = changes
    today = ", ".join(f"{bands.get(band, 0)} {band}" for band in (Band.GREEN.value, Band.YELLOW.value, Band.RED.value))
    return f"{scores} scores over {len(days)} days, {changes} band changes; today {today}"
