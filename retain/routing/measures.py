"""Complaints and cancellation intent as a health measure input.

Registered with the health catalogue (for scorecards) and with health.measures (one aggregate query
for many accounts, as of any day D) from RoutingConfig.ready.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from retain.health.catalogue import LOWER_IS_HEALTHIER, SENTIMENT, MeasureKind, register
from retain.health.measures import Params, Scope, Values, register_query
from retain.lib.dates import start_of_day
from retain.routing.models import InboundMessage

KIND = "unhappy_questions"
UNHAPPY = ("complaint", "cancellation")
DAYS = 90


def unhappy_questions(scope: Scope, day: dt.date, params: Params) -> dict[int, Values]:
    """{account_id: {KIND: n}}: complaints and cancellation-intent questions received in the 90 days ending D."""
    days = DAYS
    zone = scope.workspace.time_zone
    end = start_of_day(day + dt.timedelta(days=1), zone)
    start = start_of_day(day - dt.timedelta(days=days - 1), zone)
    rows = (
        scope.filter(InboundMessage.objects.filter(category__in=UNHAPPY, received_at__gte=start, received_at__lt=end))
        .values("account_id")
        .annotate(n=Count("id"))
    )
    found = {row["account_id"]: float(row["n"]) for row in rows}
    return {account_id: {KIND: found.get(account_id, 0.0)} for account_id in scope.all_ids()}


def register_measure() -> None:
    register(
        MeasureKind(
            kind=KIND,
            name="Complaints and cancellation intent",
            group=SENTIMENT,
            direction=LOWER_IS_HEALTHIER,
            unit="questions",
            doc="The account's inbound questions routed (or corrected) to the complaint or cancellation "
            "category, received in the 90 calendar days ending D. Zero when there were none.",
            words=lambda v, p: (
                f"{round(v)} complaint or cancellation question{'s' if round(v) != 1 else ''} in {DAYS} days"
            ),
            when_missing="no complaint or cancellation question",
        )
    )
    register_query(unhappy_questions, (KIND,))
