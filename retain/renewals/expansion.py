"""Expansion signals and the opportunities they open.

Three signals, each computed set-based over every paying account of a workspace for one day, each
with an explanation in words and numbers:

- seat utilisation: distinct active users / paid seats ≥ 90% on each of the 14 complete days before
  today (seats from the subscription ledger in force on each day, as health's measures read them);
- higher-edition features: an account on the professional edition used features of the enterprise
  edition on at least 8 of the 28 complete days before today;
- promoter champion: the account's latest health (at most a day old) is green and an active
  champion's latest NPS answer is a promoter's.

Opening is idempotent: one open opportunity per account and signal, and a signal does not reopen
one for an account whose opportunity on it closed within the last COOLDOWN_DAYS.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts import timeline
from retain.accounts.choices import ContactRole, ContactStatus, Edition
from retain.accounts.models import Account, Contact, Subscription, SubscriptionMovement, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.journeys.services import lifecycle_on_expansion_opened
from retain.lib.columns import check_value
from retain.lib.money import quantize
from retain.renewals.choices import ExpansionKind, ExpansionSignal, ExpansionStatus
from retain.renewals.models import ExpansionOpportunity
from retain.surveys.choices import ResponseCategory
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage

log = logging.getLogger(__name__)

SEAT_DAYS = 14
SEAT_THRESHOLD = 0.9
FEATURE_WINDOW_DAYS = 28
FEATURE_MIN_DAYS = 8
# Features of the product catalogue (the demo vocabulary's names) sold with the enterprise edition
# only; a professional account that uses them is trying what an upgrade would give it.
ENTERPRISE_FEATURES = ("A/B Testing", "Chatbots", "Ads")
COOLDOWN_DAYS = 90

# The expected additional ARR, as a share of the account's ARR: 20% more seats, the enterprise
# edition's uplift on the list price, one more product for a happy customer. Owners edit the amount.
SEAT_GROWTH = Decimal("0.2")
EDITION_UPLIFT = Decimal("0.5")
CROSS_SELL_SHARE = Decimal("0.2")

UPDATE_FIELDS = {"owner", "amount", "kind", "notes"}


@dataclass(frozen=True)
class Signal:
    """One signal that holds for one account today."""

    account_id: int
    signal: str
    kind: str
    explanation: str
    amount: Decimal


def _arr(account: Account) -> Decimal:
    return account.mrr * 12


# Detection ---------------------------------------------------------------------------------------


def _seats_by_day(account_ids: list[int], days: list[dt.date]) -> dict[int, dict[dt.date, int]]:
    """Paid seats per account on each day, from the ledger movement in force per subscription."""
    movements = (
        SubscriptionMovement.objects.filter(account_id__in=account_ids, effective_on__lte=days[-1])
        .order_by("subscription_id", "effective_on", "id")
        .values_list("account_id", "subscription_id", "effective_on", "mrr_after", "seats_after")
    )
    history: dict[tuple[int, int], list[tuple[dt.date, Decimal, int]]] = defaultdict(list)
    for account_id, subscription_id, effective_on, mrr_after, seats_after in movements:
        history[(account_id, subscription_id)].append((effective_on, mrr_after, seats_after))
    seats: dict[int, dict[dt.date, int]] = defaultdict(lambda: dict.fromkeys(days, 0))
    for (account_id, _), moves in history.items():
        for day in days:
            in_force = [m for m in moves if m[0] <= day]
            if in_force and in_force[-1][1] > 0:
                seats[account_id][day] += in_force[-1][2]
    return seats


def seat_utilisation_signals(workspace: Workspace, today: dt.date) -> list[Signal]:
    days = [today - dt.timedelta(days=n) for n in range(SEAT_DAYS, 0, -1)]
    usage: dict[int, dict[dt.date, int]] = defaultdict(dict)
    rows = DailyAccountUsage.objects.filter(
        workspace=workspace, day__gte=days[0], day__lte=days[-1], active_users__gt=0, account__mrr__gt=0
    ).values_list("account_id", "day", "active_users")
    for account_id, day, users in rows:
        usage[account_id][day] = users
    candidates = [a for a, by_day in usage.items() if len(by_day) == SEAT_DAYS]
    if not candidates:
        return []
    seats = _seats_by_day(candidates, days)
    accounts = Account.objects.in_bulk(candidates)
    found = []
    for account_id in candidates:
        ratios = []
        for day in days:
            paid = seats[account_id][day]
            if not paid:
                break
            ratios.append((usage[account_id][day] / paid, usage[account_id][day], paid))
        if len(ratios) < SEAT_DAYS or min(r[0] for r in ratios) < SEAT_THRESHOLD:
            continue
        lowest, users, paid = min(ratios)
        seats_now = ratios[-1][2]
        more = max(1, math.ceil(seats_now * SEAT_GROWTH))
        if len({r[2] for r in ratios}) == 1:
            why = f"{min(r[1] for r in ratios)} of {paid} seats used on each of the last {SEAT_DAYS} days"
        else:
            why = f"At least {SEAT_THRESHOLD:.0%} of seats used on each of the last {SEAT_DAYS} days"
        found.append(
            Signal(
                account_id,
                ExpansionSignal.SEAT_UTILISATION,
                ExpansionKind.UPSELL,
                f"{why} (lowest {users} of {paid}, {lowest:.0%}; min {SEAT_THRESHOLD:.0%}); "
                f"{more} more seat{'s' if more != 1 else ''} proposed",
                quantize(_arr(accounts[account_id]) / seats_now * more),
            )
        )
    return found


def higher_edition_signals(workspace: Workspace, today: dt.date) -> list[Signal]:
    start = today - dt.timedelta(days=FEATURE_WINDOW_DAYS)
    rows = DailyFeatureUsage.objects.filter(
        workspace=workspace,
        day__gte=start,
        day__lt=today,
        feature__in=ENTERPRISE_FEATURES,
        events__gt=0,
        account__edition=Edition.PROFESSIONAL,
        account__mrr__gt=0,
    ).values_list("account_id", "feature", "day")
    days: dict[int, set[dt.date]] = defaultdict(set)
    features: dict[int, set[str]] = defaultdict(set)
    for account_id, feature, day in rows:
        days[account_id].add(day)
        features[account_id].add(feature)
    qualifying = [a for a, used in days.items() if len(used) >= FEATURE_MIN_DAYS]
    accounts = Account.objects.in_bulk(qualifying)
    return [
        Signal(
            account_id,
            ExpansionSignal.HIGHER_EDITION_FEATURES,
            ExpansionKind.UPSELL,
            f"On the professional edition, used enterprise features ({', '.join(sorted(features[account_id]))}) "
            f"on {len(days[account_id])} of the last {FEATURE_WINDOW_DAYS} days (min {FEATURE_MIN_DAYS})",
            quantize(_arr(accounts[account_id]) * EDITION_UPLIFT),
        )
        for account_id in sorted(qualifying)
    ]


def promoter_champion_signals(workspace: Workspace, today: dt.date) -> list[Signal]:
    scores = HealthScore.objects.filter(
        workspace=workspace, day__gte=today - dt.timedelta(days=1), day__lte=today, account__mrr__gt=0
    ).order_by("account_id", "-day")
    latest: dict[int, HealthScore] = {}
    for score in scores.only("account_id", "day", "band", "overall"):
        latest.setdefault(score.account_id, score)
    green = [a for a, s in latest.items() if s.band == Band.GREEN]
    if not green:
        return []
    champions: dict[int, Contact] = {}
    contacts = Contact.objects.filter(
        account_id__in=green,
        role=ContactRole.CHAMPION,
        status=ContactStatus.ACTIVE,
        nps_category=ResponseCategory.PROMOTER,
    ).order_by("account_id", "-nps_answered_at", "id")
    for contact in contacts:
        champions.setdefault(contact.account_id, contact)
    accounts = Account.objects.in_bulk(list(champions))
    found = []
    for account_id, champion in sorted(champions.items()):
        score = latest[account_id]
        overall = "" if score.overall is None else f" ({score.overall:.0f})"
        answered = f" on {champion.nps_answered_at:%Y-%m-%d}" if champion.nps_answered_at else ""
        found.append(
            Signal(
                account_id,
                ExpansionSignal.PROMOTER_CHAMPION,
                ExpansionKind.CROSS_SELL,
                f"Health green{overall} on {score.day:%Y-%m-%d} and champion {champion} answered NPS "
                f"{champion.nps_score} (promoter){answered}",
                quantize(_arr(accounts[account_id]) * CROSS_SELL_SHARE),
            )
        )
    return found


DETECTORS = (seat_utilisation_signals, higher_edition_signals, promoter_champion_signals)


def expansion_signals(workspace: Workspace, today: dt.date) -> list[Signal]:
    return [signal for detect in DETECTORS for signal in detect(workspace, today)]


# Writes ------------------------------------------------------------------------------------------


def dedupe_key(account_id: int, signal: str) -> str:
    return f"{account_id}:{signal}"


def expansion_signals_scan(*, workspace: Workspace, today: dt.date | None = None) -> int:
    """Open an opportunity for every signal that holds today and has none open (nor closed lately).

    Returns how many were opened. The owner is the account's CSM; the timeline says why.
    """
    today = today or workspace_today(workspace)
    signals = expansion_signals(workspace, today)
    if not signals:
        return 0
    now = timezone.now()
    keys = {dedupe_key(s.account_id, s.signal) for s in signals}
    taken = _taken(workspace, keys, now - dt.timedelta(days=COOLDOWN_DAYS))
    accounts = Account.objects.select_related("workspace").in_bulk([s.account_id for s in signals])
    opened = 0
    for signal in signals:
        key = dedupe_key(signal.account_id, signal.signal)
        if key in taken:
            continue
        account = accounts[signal.account_id]
        opportunity = ExpansionOpportunity(
            workspace=workspace,
            account=account,
            kind=signal.kind,
            signal=signal.signal,
            explanation=signal.explanation[:500],
            amount=signal.amount,
            owner_id=account.owner_id,
            dedupe_key=key,
            opened_at=now,
        )
        try:
            with transaction.atomic():
                opportunity.save()
                entry = timeline.expansion_opportunity_opened_entry(opportunity, occurred_at=now)
                if not TimelineEntry.objects.filter(workspace=workspace, dedupe_key=entry.dedupe_key).exists():
                    entry.save()
        except IntegrityError:
            continue  # an overlapping scan opened it first
        lifecycle_on_expansion_opened(account=account)
        opened += 1
    return opened


def _taken(workspace: Workspace, keys: set[str], since: dt.datetime) -> set[str]:
    rows = ExpansionOpportunity.objects.filter(workspace=workspace, dedupe_key__in=keys).values_list(
        "dedupe_key", "status", "closed_at"
    )
    return {
        key
        for key, status, closed_at in rows
        if status == ExpansionStatus.OPEN or (closed_at is not None and closed_at >= since)
    }


def _check_amount(value: Any) -> Decimal:
    try:
        amount = quantize(Decimal(value))
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({"amount": "must be a number"}) from None
    if not amount.is_finite():
        raise ValidationError({"amount": "must be a number"})
    if amount < 0:
        raise ValidationError({"amount": "must not be negative"})
    check_value(ExpansionOpportunity, "amount", amount)
    return amount


def _require_open(opportunity: ExpansionOpportunity) -> None:
    if not opportunity.is_open:
        raise ValidationError({"status": "the opportunity is closed and can no longer change"})


@transaction.atomic
def expansion_update(*, opportunity: ExpansionOpportunity, actor: Member | None, **fields: Any) -> ExpansionOpportunity:
    """Change the owner, kind, expected amount or notes of an open opportunity."""
    unknown = sorted(set(fields) - UPDATE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field that can be set here"})
    # Read the status under a lock: a close in another request may have landed since the caller read it.
    locked = ExpansionOpportunity.objects.select_for_update().only("status").get(pk=opportunity.pk)
    opportunity.status = locked.status
    _require_open(opportunity)
    owner = fields.get("owner")
    if owner is not None:
        if owner.workspace_id != opportunity.workspace_id or not owner.is_active:
            raise ValidationError({"owner": "is not an active member of this workspace"})
        if owner.role == Role.VIEWER:
            raise ValidationError({"owner": "a viewer cannot own opportunities"})
    if "kind" in fields and fields["kind"] not in ExpansionKind.values:
        raise ValidationError({"kind": f"must be one of {', '.join(ExpansionKind.values)}"})
    if "amount" in fields:
        fields["amount"] = _check_amount(fields["amount"])
    for name, value in fields.items():
        setattr(opportunity, name, value)
    opportunity.save()
    return opportunity


@transaction.atomic
def expansion_close(
    *,
    opportunity: ExpansionOpportunity,
    actor: Member | None,
    via: str,
    status: str,
    amount: Decimal | None = None,
    subscription: Subscription | None = None,
    new_mrr: Decimal | None = None,
    new_seats: int | None = None,
    effective_on: dt.date | None = None,
) -> ExpansionOpportunity:
    """Close as won or lost. A win may write the subscription's new MRR (and seats) to the ledger.

    `amount` is the ARR actually won (the expected amount by default); a lost opportunity keeps its
    expected amount for the record. The movement goes through accounts.services.subscription_change
    on `effective_on` (today by default), so revenue metrics see the expansion.
    """
    opportunity = (
        ExpansionOpportunity.objects.select_for_update().select_related("account", "workspace").get(pk=opportunity.pk)
    )
    _require_open(opportunity)
    if status not in (ExpansionStatus.WON, ExpansionStatus.LOST):
        raise ValidationError({"status": "must be won or lost"})
    writes_ledger = subscription is not None or new_mrr is not None or new_seats is not None
    if status == ExpansionStatus.LOST and writes_ledger:
        raise ValidationError({"subscription": "a lost opportunity changes no subscription"})
    if writes_ledger:
        if subscription is None:
            raise ValidationError({"subscription": "name the subscription the new MRR or seats apply to"})
        if subscription.account_id != opportunity.account_id:
            raise ValidationError({"subscription": "is not a subscription of this account"})
        if new_mrr is None and new_seats is None:
            raise ValidationError({"new_mrr": "give the new MRR or seats of the subscription"})
        account_services.subscription_change(
            subscription=subscription,
            actor=actor,
            via=via,
            effective_on=effective_on or workspace_today(opportunity.workspace),
            mrr=new_mrr,
            seats=new_seats,
        )
    if amount is not None:
        opportunity.amount = _check_amount(amount)
    opportunity.status = status
    opportunity.closed_at = timezone.now()
    opportunity.save()
    return opportunity
