"""The lifecycle health measure: the share of an account's due journey milestones that are done.

Registered with the health catalogue (for scorecards) and with health.measures (one aggregate query
for many accounts, as of any day D, like every other measure).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from retain.health.catalogue import HIGHER_IS_HEALTHIER, USAGE, MeasureKind, register
from retain.health.measures import Params, Scope, Values, register_query
from retain.journeys.models import MilestoneProgress

KIND = "milestones_on_track"


def milestones_on_track(scope: Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """{account_id: {KIND: share}} for accounts with at least one milestone due on or before `day`."""
    rows = (
        scope.filter(MilestoneProgress.objects.filter(due_on__lte=day))
        .values("account_id")
        .annotate(due=Count("id"), done=Count("id", filter=Q(completed_on__lte=day)))
    )
    return {row["account_id"]: {KIND: row["done"] / row["due"]} for row in rows}


register(
    MeasureKind(
        kind=KIND,
        name="Milestones on track",
        group=USAGE,
        direction=HIGHER_IS_HEALTHIER,
        unit="share (0-1)",
        doc="Of the account's journey milestones due on or before D, the share completed by D (late "
        "or not); a milestone not yet due is on track by definition and is not counted. Missing when "
        "the account is on no journey or nothing is due yet.",
        words=lambda v, p: f"{round(v * 100)}% of the journey milestones due are done",
        when_missing="no journey milestone due yet",
    )
)
register_query(milestones_on_track, (KIND,))
