"""Reads of a workspace's spend and quotas, always scoped to one workspace or member."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from retain.metrics.choices import SpendCategory
from retain.metrics.models import Quota, Spend
from retain.surveys.measures import Period
from retain.tenancy.models import Member, Workspace

ZERO = Decimal(0)


def spend_in_period(workspace: Workspace, period: Period) -> dict[str, Decimal]:
    """Σ spend by category over the period: each row pro rata to the days it shares with it (one query)."""
    rows = Spend.objects.filter(workspace=workspace, period_start__lte=period.end, period_end__gte=period.start)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        shared = (min(row.period_end, period.end) - max(row.period_start, period.start)).days + 1
        totals[row.category] += row.amount * shared / row.days
    return {category: totals[category].quantize(Decimal("0.01")) for category in SpendCategory.values}


def quota_for(member: Member, today: dt.date) -> Quota | None:
    """The member's quota whose period holds `today`, else the latest one that began before it."""
    quotas = Quota.objects.filter(member=member, period_start__lte=today).order_by("-period_start")
    covering = [q for q in quotas[:20] if q.period_end >= today]
    return covering[0] if covering else next(iter(quotas[:1]), None)
