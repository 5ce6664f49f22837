"""Subscription history: every change is a dated movement and MRR at a past date follows from it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from retain.accounts import services
from retain.accounts.choices import EntryKind, MovementKind, SubscriptionStatus
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import account_mrr_on, workspace_mrr_on
from retain.tenancy.models import Workspace
from retain.tenancy.services import exchange_rate_set

D = dt.date


@pytest.fixture
def history(workspace: Workspace) -> Account:
    """A hand-computed ledger over 2025 (USD workspace, one EUR subscription).

    Core (USD):   Jan 1 new 1,000 · Mar 1 expansion to 1,500 · Jun 1 contraction to 1,200 ·
                  Sep 1 churn · Oct 15 reactivation at 800.
    Add-on (EUR): Feb 1 new 100 (EUR→USD 1.10 from Jan 1, 1.20 from Jul 1).
    """
    exchange_rate_set(workspace=workspace, currency="EUR", valid_from=D(2025, 1, 1), rate="1.10")
    exchange_rate_set(workspace=workspace, currency="EUR", valid_from=D(2025, 7, 1), rate="1.20")
    account = services.account_create(workspace=workspace, actor=None, via="test", name="Initech")
    core = services.subscription_create(
        account=account, actor=None, via="test", product="Core", mrr=Decimal(1000), seats=10,
        started_on=D(2025, 1, 1), term_end=D(2026, 1, 1),
    )  # fmt: skip
    services.subscription_create(
        account=account, actor=None, via="test", product="Add-on", mrr=Decimal(100), currency="EUR",
        started_on=D(2025, 2, 1), term_end=D(2026, 2, 1),
    )  # fmt: skip
    services.subscription_change(
        subscription=core, actor=None, via="test", effective_on=D(2025, 3, 1), mrr=Decimal(1500), seats=15
    )
    services.subscription_change(
        subscription=core, actor=None, via="test", effective_on=D(2025, 6, 1), mrr=Decimal(1200), seats=12
    )
    services.subscription_churn(subscription=core, actor=None, via="test", effective_on=D(2025, 9, 1))
    services.subscription_change(
        subscription=core, actor=None, via="test", effective_on=D(2025, 10, 15), mrr=Decimal(800), seats=8
    )
    return account


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2024, 12, 31), "0.00"),
        (D(2025, 1, 1), "1000.00"),
        (D(2025, 1, 31), "1000.00"),
        (D(2025, 2, 1), "1110.00"),  # 1,000 + 100 EUR × 1.10
        (D(2025, 3, 1), "1610.00"),
        (D(2025, 6, 30), "1310.00"),
        (D(2025, 7, 1), "1320.00"),  # the EUR rate moved to 1.20
        (D(2025, 9, 1), "120.00"),  # core churned
        (D(2025, 10, 15), "920.00"),  # reactivated at 800
    ],
)
def test_mrr_at_a_past_date_follows_the_movements(history: Account, day: dt.date, expected: str) -> None:
    assert account_mrr_on(history, day) == Decimal(expected)
    assert workspace_mrr_on(history.workspace, day) == Decimal(expected)


def test_each_change_is_a_movement_of_the_right_kind(history: Account) -> None:
    core = history.subscriptions.get(product="Core")
    kinds = list(core.movements.values_list("kind", flat=True))
    assert kinds == [
        MovementKind.NEW,
        MovementKind.EXPANSION,
        MovementKind.CONTRACTION,
        MovementKind.CHURN,
        MovementKind.REACTIVATION,
    ]
    assert core.status == SubscriptionStatus.ACTIVE
    assert core.mrr == Decimal(800)


def test_it_keeps_the_account_mrr_column_in_step(history: Account) -> None:
    history.refresh_from_db()
    # Today's rate for EUR is 1.20: 800 + 100 × 1.20.
    assert history.mrr == Decimal("920.00")
    assert history.arr == Decimal("11040.00")


def test_every_movement_is_on_the_timeline_on_its_own_day(history: Account) -> None:
    entries = TimelineEntry.objects.filter(account=history, kind=EntryKind.SUBSCRIPTION_CHANGED)
    assert entries.count() == 4
    churn = entries.get(data__movement="churn")
    assert churn.occurred_at.date() == D(2025, 9, 1)
    assert "Churn on Core" in churn.summary


def test_it_refuses_a_change_dated_before_the_last_one(history: Account) -> None:
    core = history.subscriptions.get(product="Core")
    with pytest.raises(ValidationError) as caught:
        services.subscription_change(
            subscription=core, actor=None, via="test", effective_on=D(2025, 5, 1), mrr=Decimal(5)
        )
    assert "effective_on" in caught.value.message_dict


def test_it_refuses_a_currency_without_a_rate(workspace: Workspace) -> None:
    account = services.account_create(workspace=workspace, actor=None, via="test", name="Hooli")
    with pytest.raises(ValidationError) as caught:
        services.subscription_create(
            account=account, actor=None, via="test", product="Core", mrr=Decimal(10), currency="GBP",
            started_on=D(2025, 1, 1), term_end=D(2026, 1, 1),
        )  # fmt: skip
    assert "no exchange rate for GBP" in caught.value.message_dict["currency"][0]
    assert not account.subscriptions.exists()
