"""The churn-risk model's inputs and label, per account and snapshot day, built from the workspace's own data.

Features are read as they stood on the snapshot day D. Usage, support, NPS and contacts come from
`health.measures.compute_measures` (the as-of view a health backtest uses); health is the latest
score on or before D (within HEALTH_DAYS); the contract comes from the ledger: MRR in the workspace
currency and seats in force on D, and the days to the next yearly anniversary of a paying
subscription. (Not the measures' days_to_renewal: its term ends are today's, so on a past day it
would give away which accounts later renewed.) Tier and edition complete the row. The label is the
outcome the model predicts: the account churns (the ledger's definition, `accounts.ledger`: it stops
paying) within `horizon_days` after D, i.e. it churned at its next renewal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from retain.accounts.ledger import AccountLedger
from retain.health.measures import compute_measures
from retain.health.models import HealthScore
from retain.lib.money import RateTable
from retain.metrics.churn import Table
from retain.tenancy.models import Workspace

TARGET = "churned"
POSITIVE = "yes"
NEGATIVE = "no"
HEALTH_DAYS = 35

MEASURE_KINDS = (
    "active_users_per_seat",
    "active_days",
    "usage_trend",
    "logins",
    "feature_breadth",
    "open_tickets",
    "tickets_per_active_user",
    "nps",
    "days_since_touchpoint",
    "champion_active",
)
CONTRACT = ("mrr", "seats", "days_to_renewal")
CATEGORIES = ("tier", "edition", "health_band")
COLUMNS = (*MEASURE_KINDS, "health", *CONTRACT, *CATEGORIES)

# How each column reads in a reason on the page.
LABELS = {
    "active_users_per_seat": "Active users per seat",
    "active_days": "Active days (28)",
    "usage_trend": "Usage trend",
    "logins": "Logins (28 days)",
    "feature_breadth": "Features used",
    "open_tickets": "Open tickets",
    "tickets_per_active_user": "Tickets per active user",
    "nps": "Latest NPS",
    "days_since_touchpoint": "Days since last touchpoint",
    "champion_active": "Champion active",
    "days_to_renewal": "Days to renewal",
    "health": "Health score",
    "mrr": "MRR",
    "seats": "Seats",
    "tier": "Tier",
    "edition": "Edition",
    "health_band": "Health band",
}


def _text(value: float | int | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return repr(float(value))


def latest_health(workspace: Workspace, ids: Sequence[int], day: dt.date) -> dict[int, tuple[float | None, str]]:
    """Per account, (overall, band) of its latest score on or before `day`, no older than HEALTH_DAYS."""
    rows = (
        HealthScore.objects.filter(
            workspace=workspace, day__lte=day, day__gt=day - dt.timedelta(days=HEALTH_DAYS), account_id__in=ids
        )
        .order_by("account_id", "day")
        .values_list("account_id", "overall", "band")
    )
    return {account_id: (overall, band) for account_id, overall, band in rows}


def snapshot_rows(
    workspace: Workspace,
    books: Mapping[int, AccountLedger],
    day: dt.date,
    table: RateTable,
    *,
    horizon_days: int | None,
) -> tuple[list[int], list[list[str]]]:
    """The accounts paying on `day` and their feature rows; with `horizon_days`, each row ends with its label."""
    ids = sorted(pk for pk, ledger in books.items() if ledger.paying_on(day))
    if not ids:
        return [], []
    measures = compute_measures(workspace, ids, day, kinds=MEASURE_KINDS)
    health = latest_health(workspace, ids, day)
    rows = []
    for pk in ids:
        ledger = books[pk]
        values = measures.get(pk, {})
        overall, band = health.get(pk, (None, ""))
        row = [_text(values.get(kind)) for kind in MEASURE_KINDS]
        row += [_text(overall), _text(ledger.mrr_on(day, table)), _text(ledger.seats_on(day))]
        row += [_text(ledger.days_to_anniversary(day))]
        row += [ledger.tier, ledger.edition, band]
        if horizon_days is not None:
            churned = ledger.churned_between(day, day + dt.timedelta(days=horizon_days)) is not None
            row.append(POSITIVE if churned else NEGATIVE)
        rows.append(row)
    return ids, rows


def as_table(rows: Iterable[list[str]], *, labelled: bool, source: str) -> Table:
    columns = [*COLUMNS, TARGET] if labelled else list(COLUMNS)
    return Table(columns=columns, rows=list(rows), source=source)
