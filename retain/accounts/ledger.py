"""The subscription ledger: who was paying what on day D, and when did they churn.

Every page and model that asks this question reads it here: the revenue figures
(`metrics.engine`), the renewal cohorts (`metrics.cohorts`), the health backtest
(`health.backtest`), the churn model's snapshots (`risk.features`), the health measures' contract
inputs and the account selectors. The answers come from `SubscriptionMovement` rows only, never
from a subscription's current columns (its `term_end`, `status` or `ended_on` are today's, and on a
past day would give away what happened next).

Definitions
-----------
- **In force.** A subscription's movement in force at the close of day D is its latest movement
  effective on or before D; of two on the same day, the later recorded (higher id). A subscription
  with no movement on or before D is not in force. Its MRR on D is that movement's `mrr_after`, in
  the subscription's currency (converted at D's rate where a sum in the workspace currency is needed).
- **Paying.** An account pays on D when at least one of its subscriptions has an MRR above zero in
  force at the close of D. (MRR is never negative, so this is "its MRR in force sums to more than 0".)
- **Start.** An account starts on the first day it pays.
- **Churn.** An account churns on day D when it paid at the close of D − 1 and pays nothing at the
  close of D. That day is a churn day; the account may churn more than once if it pays again in
  between (a reactivation starts a new paying spell; it never undoes the churn before it).
- **Lost.** An account's first churn day after its start is the day it was lost: a renewal cohort
  counts it as gone from then on, even if it comes back later (a contractual cohort only shrinks).
- **Logo churn over a period** (calendar days `start` to `end`, both included): of the accounts
  paying at the close of the day before `start`, the share that churned on some day of the period.
  A win-back inside the period therefore still counts as a loss; its return shows up as
  reactivation, never as a retained customer.
- **Churned within a horizon.** An account paying on D churned within h days when it has a churn day
  in (D, D + h]: the label of the health backtest and of the churn model's training rows.

The same rules are available two ways that must always agree: in memory (`load` reads every
movement of a workspace in one query and answers for any day with a bisect: for the backtest, the
cohorts and the churn model, which ask about many days) and as query expressions
(`in_force_movements`, `subscription_mrr_on`, `account_pays_on`: for set-based figures and
querysets). `retain/accounts/tests/test_ledger.py` checks that they do, and the agreement of the
pages that read them is checked on a built demo workspace.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from retain.accounts.models import Account, SubscriptionMovement
from retain.lib.dates import add_months
from retain.lib.money import RateTable
from retain.tenancy.models import Workspace

ZERO = Decimal(0)


# As query expressions ------------------------------------------------------------------------------


def in_force_movements(day: dt.date, movements: QuerySet[SubscriptionMovement] | None = None) -> QuerySet[
    SubscriptionMovement
]:  # fmt: skip
    """The movement in force at the close of `day` for each subscription (of `movements`, default all):
    the latest effective on or before the day, ties broken by the later recorded."""
    superseded = SubscriptionMovement.objects.filter(
        subscription_id=OuterRef("subscription_id"), effective_on__lte=day
    ).filter(
        Q(effective_on__gt=OuterRef("effective_on")) | Q(effective_on=OuterRef("effective_on"), id__gt=OuterRef("id"))
    )
    base = SubscriptionMovement.objects.all() if movements is None else movements
    return base.filter(effective_on__lte=day).filter(~Exists(superseded))


def subscription_mrr_on(day: dt.date) -> Subquery:
    """For a Subscription queryset: its MRR in force at the close of `day` (None when not in force)."""
    return Subquery(
        SubscriptionMovement.objects.filter(subscription=OuterRef("pk"), effective_on__lte=day)
        .order_by("-effective_on", "-id")
        .values("mrr_after")[:1]
    )


def account_pays_on(day: dt.date) -> Exists:
    """For an Account queryset: true when the account pays at the close of `day`."""
    return Exists(in_force_movements(day, SubscriptionMovement.objects.filter(account=OuterRef("pk"), mrr_after__gt=0)))


# In memory -------------------------------------------------------------------------------------------


Movement = tuple[dt.date, int, Decimal, str, int]  # (effective_on, subscription_id, mrr_after, currency, seats_after)


@dataclass
class AccountLedger:
    """One account's movements in ledger order, and what the definitions above make of them."""

    account_id: int
    tier: str
    edition: str
    movements: list[Movement] = field(default_factory=list)

    @cached_property
    def _states(self) -> tuple[list[dt.date], list[bool]]:
        """Each day with movements, and whether the account pays at its close (the day's last movement decides)."""
        current: dict[int, Decimal] = {}
        days: list[dt.date] = []
        paying: list[bool] = []
        for day, subscription_id, mrr, _currency, _seats in self.movements:
            current[subscription_id] = mrr
            pays = any(value > 0 for value in current.values())
            if days and days[-1] == day:
                paying[-1] = pays
            else:
                days.append(day)
                paying.append(pays)
        return days, paying

    def paying_on(self, day: dt.date) -> bool:
        days, paying = self._states
        index = bisect.bisect_right(days, day) - 1
        return index >= 0 and paying[index]

    @cached_property
    def started_on(self) -> dt.date | None:
        days, paying = self._states
        return next((day for day, pays in zip(days, paying, strict=True) if pays), None)

    @cached_property
    def churn_days(self) -> list[dt.date]:
        """Every day the account went from paying to paying nothing, in order."""
        days, paying = self._states
        return [days[i] for i in range(1, len(days)) if paying[i - 1] and not paying[i]]

    @property
    def lost_on(self) -> dt.date | None:
        """The first churn day: the day the account was lost."""
        return self.churn_days[0] if self.churn_days else None

    def lost_after(self, day: dt.date) -> dt.date | None:
        """The first churn day after `day`."""
        index = bisect.bisect_right(self.churn_days, day)
        return self.churn_days[index] if index < len(self.churn_days) else None

    def churned_between(self, after: dt.date, until: dt.date) -> dt.date | None:
        """The first churn day in (after, until], if any."""
        lost = self.lost_after(after)
        return lost if lost is not None and lost <= until else None

    def in_force(self, day: dt.date) -> dict[int, tuple[Decimal, str, int]]:
        """Per subscription, the (MRR, currency, seats) of its movement in force at the close of `day`."""
        found: dict[int, tuple[Decimal, str, int]] = {}
        for when, subscription_id, mrr, currency, seats in self.movements:
            if when > day:
                break
            found[subscription_id] = (mrr, currency, seats)
        return found

    def mrr_on(self, day: dt.date, table: RateTable) -> float:
        """MRR in force at the close of `day` in the workspace currency (an amount in a currency the
        rate table does not cover that day counts as it stands)."""
        total = ZERO
        for mrr, currency, _seats in self.in_force(day).values():
            total += table.convert(mrr, currency, day) if table.covers(currency, day) else mrr
        return float(total)

    def seats_on(self, day: dt.date) -> int:
        """Seats of the subscriptions paying at the close of `day`."""
        return sum(seats for mrr, _currency, seats in self.in_force(day).values() if mrr > 0)

    def days_to_anniversary(self, day: dt.date, months: int = 12) -> int | None:
        """Days from `day` to the next anniversary of a paying subscription's first movement (its next
        renewal under terms of `months`). Read from the ledger, not from the subscription's term end,
        which is today's: on a past day it would tell the renewed accounts from the lost ones."""
        first: dict[int, dt.date] = {}
        for when, subscription_id, _mrr, _currency, _seats in self.movements:
            first.setdefault(subscription_id, when)
        upcoming = []
        for subscription_id, (mrr, _currency, _seats) in self.in_force(day).items():
            if mrr <= 0:
                continue
            start, k = first[subscription_id], 1
            while add_months(start, k * months) < day:
                k += 1
            upcoming.append((add_months(start, k * months) - day).days)
        return min(upcoming, default=None)


class Ledger(Mapping[int, AccountLedger]):
    """The accounts of a workspace (or of a set of accounts) that have movements: account id → AccountLedger."""

    def __init__(self, books: dict[int, AccountLedger]) -> None:
        self._books = books

    def __getitem__(self, account_id: int) -> AccountLedger:
        return self._books[account_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._books)

    def __len__(self) -> int:
        return len(self._books)

    def paying_on(self, day: dt.date, among: Iterable[int] | None = None) -> list[int]:
        """The accounts (of `among`, default all) paying at the close of `day`, in id order."""
        ids = self._books if among is None else among
        return sorted(pk for pk in ids if pk in self._books and self._books[pk].paying_on(day))

    def logo_churn(
        self, start: dt.date, end: dt.date, among: Iterable[int] | None = None
    ) -> tuple[list[int], list[int]]:
        """Logo churn over the days `start` to `end`: (the accounts paying at the close of the day
        before `start`, those of them that churned on a day of the period)."""
        eve = start - dt.timedelta(days=1)
        active = self.paying_on(eve, among)
        return active, [pk for pk in active if self._books[pk].churned_between(eve, end) is not None]


def load(workspace: Workspace, accounts: QuerySet[Account] | None = None) -> Ledger:
    """The ledger of every account of the workspace (or of `accounts`) that has a movement: one query.
    An account without movements never paid, so it is in no answer the ledger gives."""
    movements = SubscriptionMovement.objects.filter(workspace=workspace)
    if accounts is not None:
        movements = movements.filter(account__in=accounts.filter(workspace=workspace).order_by().values("pk"))
    rows = movements.order_by("account_id", "effective_on", "id").values_list(
        "account_id", "account__tier", "account__edition", "effective_on", "subscription_id", "mrr_after", "currency",
        "seats_after",
    )  # fmt: skip
    books: dict[int, AccountLedger] = {}
    for account_id, tier, edition, day, subscription_id, mrr, currency, seats in rows:
        book = books.get(account_id)
        if book is None:
            book = books[account_id] = AccountLedger(account_id=account_id, tier=tier, edition=edition)
        book.movements.append((day, subscription_id, mrr, currency, seats))
    return Ledger(books)
