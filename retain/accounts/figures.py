"""Kinds shared by every page of figures: a number with its formula (`Figure`), the days it covers
(`Period`), and which accounts count (`Filters`, turned into a query by `account_scope`).

Survey measures, revenue metrics and spend all compute `Figure`s over a `Period` for the accounts
`Filters` let through, so they live here, below the apps that compute them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from retain.accounts.models import Account, Segment
from retain.accounts.selectors import segment_accounts
from retain.lib.dates import start_of_day, zone
from retain.tenancy.models import Member, Workspace

if TYPE_CHECKING:
    from retain.surveys.models import Survey


@dataclass(frozen=True)
class Figure:
    """One number with what it was computed from: `formula` in words, `inputs` by name, and `worked`,
    the formula with the inputs put in ("… = 46% − 12% = 34 (n = 120)"). `value` is None when the
    measure is undefined (no answers, nothing sent)."""

    value: float | None
    formula: str
    inputs: dict[str, Any]
    worked: str

    def __str__(self) -> str:
        return self.worked


@dataclass(frozen=True)
class Period:
    """Calendar days `start` to `end`, both included, in the time zone `tz`."""

    start: dt.date
    end: dt.date
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @classmethod
    def last_months(cls, workspace: Workspace, months: int = 12, today: dt.date | None = None) -> Period:
        """The `months` months up to and including today (12 months: the same day a year ago, plus one)."""
        today = today or timezone.now().astimezone(zone(workspace.time_zone)).date()
        start = today.replace(day=min(today.day, 28)) - relativedelta(months=months) + dt.timedelta(days=1)
        return cls(start, today, workspace.time_zone)

    @property
    def since(self) -> dt.datetime:
        return start_of_day(self.start, self.tz)

    @property
    def until(self) -> dt.datetime:
        """The first instant after the period."""
        return start_of_day(self.end + dt.timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Filters:
    """Which answers and invitations count; every one given must hold."""

    survey: Survey | None = None
    tier: str | None = None
    segment: Segment | None = None
    owner: Member | None = None
    account: Account | None = None


def account_scope(filters: Filters | None, path: str = "account") -> Q:
    """The condition the filters put on accounts (tier, owner today, account, segment).

    `path` leads from the rows filtered to their account: "account" for rows that belong to an
    account (answers, subscriptions, movements), "" for accounts themselves. A segment is a subquery;
    the rest are joins. `Filters.survey` is the surveys' own and is not applied here.
    """
    filters = filters or Filters()
    prefix = f"{path}__" if path else ""
    account_id = f"{path}_id" if path else "pk"
    condition = Q()
    if filters.tier:
        condition &= Q(**{f"{prefix}tier": filters.tier})
    if filters.owner is not None:
        condition &= Q(**{f"{prefix}owner_id": filters.owner.pk})
    if filters.account is not None:
        condition &= Q(**{account_id: filters.account.pk})
    if filters.segment is not None:
        condition &= Q(**{f"{account_id}__in": segment_accounts(filters.segment).order_by().values("pk")})
    return condition
