"""Reads of accounts and their history, always scoped to one workspace."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from retain.accounts import ledger, lifecycle
from retain.accounts.choices import ContactStatus, MovementKind, SubscriptionStatus
from retain.accounts.models import Account, Contact, Segment, Subscription, SubscriptionMovement, Touchpoint
from retain.accounts.segments import apply_criteria
from retain.lib.dates import local_day, today_in
from retain.lib.money import RateTable, quantize
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.tenancy.models import ExchangeRate, Workspace

SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "arr": ("mrr", "id"),
    "-arr": ("-mrr", "-id"),
    "renewal": ("next_renewal_on", "id"),
    "-renewal": ("-next_renewal_on", "-id"),
    # Days in stage: longest first is the earliest stage start.
    "-in_stage": ("stage_entered_on", "id"),
    "in_stage": ("-stage_entered_on", "-id"),
}
DEFAULT_SORT = "name"


def rate_table(workspace: Workspace) -> RateTable:
    rates = ExchangeRate.objects.filter(workspace=workspace).values_list("currency", "valid_from", "rate")
    return RateTable(workspace.currency, rates)


def workspace_today(workspace: Workspace) -> dt.date:
    return today_in(workspace.time_zone)


def accounts_not_scored(workspace: Workspace, account_ids: Sequence[int], day: dt.date) -> dict[int, str]:
    """The accounts of `account_ids` that are not health-scored on `day` yet, with why (see
    lifecycle.not_scored_reason): {account_id: reason}. One query."""
    # From the ledger as it stood on the day: a subscription in force that has not churned (a free
    # one counts), and whether the account pays (accounts.ledger).
    live = ledger.in_force_movements(day, SubscriptionMovement.objects.filter(account=OuterRef("pk")))
    rows = Account.objects.filter(workspace=workspace).annotate(
        first_start=Min("subscriptions__started_on"),
        has_subscription=Exists(live.exclude(kind=MovementKind.CHURN)),
        has_revenue=ledger.account_pays_on(day),
    )
    keep = set(account_ids)
    if len(keep) <= MAX_IDS_IN_QUERY:
        rows = rows.filter(pk__in=keep)
    held: dict[int, str] = {}
    for pk, tier, since, first_start, created_at, unknown, has_subscription, has_revenue in rows.order_by().values_list(
        "pk", "tier", "customer_since", "first_start", "created_at", "from_unknown_group", "has_subscription",
        "has_revenue",
    ):  # fmt: skip
        if pk in keep:
            start = since or first_start or local_day(created_at, workspace.time_zone)
            reason = lifecycle.not_scored_reason(
                tier=tier,
                start=start,
                has_subscription=has_subscription,
                has_revenue=has_revenue,
                day=day,
                from_unknown_group=unknown,
            )
            if reason:
                held[pk] = reason
    return held


def accounts_paying_since(workspace_id: int, *, today: dt.date, since: dt.date) -> QuerySet[Account]:
    """Accounts paying on `today` (accounts.ledger) that became customers on or before `since` (their
    customer-since date, else their first subscription's start)."""
    first_start = Subscription.objects.filter(account=OuterRef("pk")).order_by("started_on").values("started_on")[:1]
    return (
        Account.objects.filter(workspace_id=workspace_id)
        .annotate(start=Coalesce("customer_since", Subquery(first_start)))
        .filter(ledger.account_pays_on(today), start__lte=since)
    )


def accounts_annotated(workspace: Workspace) -> QuerySet[Account]:
    """Accounts with the next renewal date and the last touchpoint, in one query however many rows."""
    next_renewal = (
        Subscription.objects.filter(account=OuterRef("pk"), status=SubscriptionStatus.ACTIVE)
        .order_by("term_end")
        .values("term_end")[:1]
    )
    last_touch = Touchpoint.objects.filter(account=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    return (
        Account.objects.filter(workspace=workspace)
        .select_related("owner__user")
        .annotate(next_renewal_on=Subquery(next_renewal), last_touchpoint_at=Subquery(last_touch))
    )


def accounts_matching(
    workspace: Workspace, criteria: dict[str, Any], *, sort: str = DEFAULT_SORT, today: dt.date | None = None
) -> QuerySet[Account]:
    """The accounts list: cleaned criteria applied, sorted with a stable tie-break."""
    today = today or workspace_today(workspace)
    queryset = apply_criteria(accounts_annotated(workspace), criteria, today)
    return queryset.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def segment_accounts(segment: Segment, *, today: dt.date | None = None) -> QuerySet[Account]:
    """A saved segment's accounts as of now: criteria are evaluated anew on every use."""
    return accounts_matching(segment.workspace, segment.criteria, today=today)


def account_subscriptions(account: Account) -> QuerySet[Subscription]:
    return account.subscriptions.order_by("status", "term_end", "id")


def next_renewal_on(account: Account) -> dt.date | None:
    return (
        account.subscriptions.filter(status=SubscriptionStatus.ACTIVE)
        .order_by("term_end")
        .values_list("term_end", flat=True)
        .first()
    )


def days_since_last_touchpoint(account: Account, today: dt.date | None = None) -> int | None:
    workspace = account.workspace
    last = account.touchpoints.aggregate(last=Max("occurred_at"))["last"]
    if last is None:
        return None
    today = today or workspace_today(workspace)
    return (today - local_day(last, workspace.time_zone)).days


def account_timeline(account: Account, limit: int = 100) -> QuerySet[Any]:
    return account.timeline.select_related("actor__user").order_by("-occurred_at", "-id")[:limit]


def mrr_by_subscription_on(subscriptions: QuerySet[Subscription], day: dt.date) -> dict[int, SubscriptionMovement]:
    """The movement in force at the close of `day` for each subscription (accounts.ledger)."""
    movements = ledger.in_force_movements(day, SubscriptionMovement.objects.filter(subscription__in=subscriptions))
    return {movement.subscription_id: movement for movement in movements}


def account_mrr_on(account: Account, day: dt.date, table: RateTable | None = None) -> Decimal:
    """The account's MRR on a past (or present) day, in the workspace currency, from the ledger.

    Each subscription counts at the MRR of its movement in force at the close of that day
    (accounts.ledger), converted at the exchange rate valid on that day.
    """
    table = table or rate_table(account.workspace)
    total = Decimal(0)
    for movement in mrr_by_subscription_on(account.subscriptions.all(), day).values():
        total += table.convert(movement.mrr_after, movement.currency, day)
    return quantize(total)


def workspace_mrr_on(workspace: Workspace, day: dt.date, table: RateTable | None = None) -> Decimal:
    table = table or rate_table(workspace)
    total = Decimal(0)
    for movement in mrr_by_subscription_on(workspace.subscriptions.all(), day).values():
        total += table.convert(movement.mrr_after, movement.currency, day)
    return quantize(total)


SEARCH_LIMIT = 8


@dataclass(frozen=True)
class SearchResults:
    """What the top bar's search found: a few accounts and contacts, and whether there were more."""

    query: str
    accounts: list[Account]
    contacts: list[Contact]
    more_accounts: bool
    more_contacts: bool

    @property
    def empty(self) -> bool:
        return not self.accounts and not self.contacts


def search(workspace: Workspace, query: str, *, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Accounts by name or domain and contacts by name or e-mail, every word of the query matching.

    Each word may match a different field ("jane acme" finds Jane at jane@acme.example), so a full
    name typed in either order finds the contact. One more row than shown is fetched to say whether
    there are more; both reads are bounded, so the top bar answers as fast on a big book as a small one.
    """
    words = query.split()[:6]
    if not words:
        return SearchResults(query="", accounts=[], contacts=[], more_accounts=False, more_contacts=False)
    account_filter, contact_filter = Q(), Q()
    for word in words:
        account_filter &= Q(name__icontains=word) | Q(domain__icontains=word)
        contact_filter &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
    accounts = list(Account.objects.filter(account_filter, workspace=workspace).order_by("name", "id")[: limit + 1])
    contacts = list(
        Contact.objects.filter(contact_filter, workspace=workspace)
        .exclude(status=ContactStatus.ERASED)
        .select_related("account")
        .order_by("last_name", "first_name", "id")[: limit + 1]
    )
    return SearchResults(
        query=" ".join(words),
        accounts=accounts[:limit],
        contacts=contacts[:limit],
        more_accounts=len(accounts) > limit,
        more_contacts=len(contacts) > limit,
    )
