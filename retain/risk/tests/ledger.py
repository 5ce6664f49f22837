"""Hand-made ledgers for the cohort and churn-risk tests: accounts, subscriptions and their movements
written straight to the tables (the services' timeline and renewal side effects are not under test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from retain.accounts.choices import MovementKind, SubscriptionStatus
from retain.accounts.models import Account, Subscription, SubscriptionMovement
from retain.tenancy.models import Workspace


def customer(
    workspace: Workspace,
    name: str,
    *,
    started: dt.date,
    lost: dt.date | None = None,
    tier: str = "community",
    mrr: int = 100,
    seats: int = 1,
) -> Account:
    """An account paying `mrr` from `started`, and nothing from `lost` on (when given)."""
    account = Account.objects.create(
        workspace=workspace, name=name, tier=tier, mrr=Decimal(0 if lost else mrr), customer_since=started
    )
    subscription = Subscription.objects.create(
        workspace=workspace,
        account=account,
        product="Marketing Hub",
        currency=workspace.currency,
        seats=seats,
        mrr=Decimal(mrr),
        started_on=started,
        term_end=lost or started + dt.timedelta(days=365),
        status=SubscriptionStatus.CHURNED if lost else SubscriptionStatus.ACTIVE,
        ended_on=lost,
    )
    common: dict[str, Any] = {"workspace": workspace, "subscription": subscription, "account": account}
    common |= {"seats_before": seats, "seats_after": seats, "product_after": "Marketing Hub"}
    common |= {"currency": workspace.currency}
    movements = [
        SubscriptionMovement(
            effective_on=started, kind=MovementKind.NEW, mrr_before=Decimal(0), mrr_after=Decimal(mrr), **common
        )
    ]
    if lost:
        movements.append(
            SubscriptionMovement(
                effective_on=lost, kind=MovementKind.CHURN, mrr_before=Decimal(mrr), mrr_after=Decimal(0), **common
            )
        )
    SubscriptionMovement.objects.bulk_create(movements)
    return account
