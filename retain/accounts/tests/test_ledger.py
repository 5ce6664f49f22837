"""The subscription ledger's definitions, and its two readings (in memory, in queries) agreeing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from retain.accounts import ledger
from retain.accounts.models import Account, Subscription, SubscriptionMovement
from retain.accounts.services import account_create, subscription_change, subscription_create
from retain.tenancy.models import Workspace

D = dt.date


def _account(workspace: Workspace, name: str) -> Account:
    return account_create(workspace=workspace, actor=None, via="test", name=name)


def _subscription(account: Account, started: dt.date, mrr: int, product: str = "Hub") -> Subscription:
    return subscription_create(
        account=account, actor=None, via="test", product=product, mrr=Decimal(mrr), started_on=started,
        term_end=started + dt.timedelta(days=365),
    )  # fmt: skip


def _change(subscription: Subscription, on: dt.date, mrr: int) -> None:
    subscription_change(subscription=subscription, actor=None, via="test", effective_on=on, mrr=Decimal(mrr))


@pytest.fixture
def book(workspace: Workspace) -> dict[str, Account]:
    """Won back: pays from 1 Jun, churns 1 Sep, pays again 1 Nov. Two products: the main one churns
    on 1 Mar while an add-on still pays, then the add-on churns on 1 Apr. Same day: a churn and a
    new subscription recorded on one day (still paying). Free: a subscription at no charge."""
    won_back = _account(workspace, "Won back")
    main = _subscription(won_back, D(2025, 6, 1), 100)
    _change(main, D(2025, 9, 1), 0)
    _change(main, D(2025, 11, 1), 80)
    two = _account(workspace, "Two products")
    first, add_on = _subscription(two, D(2025, 1, 1), 300), _subscription(two, D(2025, 2, 1), 50, "Add-on")
    _change(first, D(2025, 3, 1), 0)
    _change(add_on, D(2025, 4, 1), 0)
    same_day = _account(workspace, "Same day")
    old = _subscription(same_day, D(2025, 1, 1), 200)
    _change(old, D(2025, 7, 1), 0)
    _subscription(same_day, D(2025, 7, 1), 250, "Hub Pro")
    free = _account(workspace, "Free")
    _subscription(free, D(2025, 1, 1), 0)
    return {"won_back": won_back, "two": two, "same_day": same_day, "free": free}


def test_an_account_churns_on_the_day_it_stops_paying_and_a_win_back_is_a_new_spell(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    books = ledger.load(workspace)
    won_back = books[book["won_back"].pk]
    assert won_back.started_on == D(2025, 6, 1)
    assert won_back.paying_on(D(2025, 8, 31)) and not won_back.paying_on(D(2025, 9, 1))
    assert not won_back.paying_on(D(2025, 10, 31)) and won_back.paying_on(D(2025, 11, 1))
    assert won_back.churn_days == [D(2025, 9, 1)]
    assert won_back.lost_on == D(2025, 9, 1)
    assert won_back.churned_between(D(2025, 8, 1), D(2025, 12, 1)) == D(2025, 9, 1)
    assert won_back.churned_between(D(2025, 9, 1), D(2025, 12, 1)) is None
    two = books[book["two"].pk]
    assert two.churn_days == [D(2025, 4, 1)]  # the add-on kept it paying through March
    assert books[book["same_day"].pk].churn_days == []  # the day's last movement decides
    assert books[book["free"].pk].started_on is None and not books[book["free"].pk].paying_on(D(2025, 6, 1))


def test_logo_churn_counts_a_win_back_inside_the_period_as_a_loss(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    books = ledger.load(workspace)
    active, churned = books.logo_churn(D(2025, 8, 1), D(2025, 12, 31))
    assert set(active) == {book["won_back"].pk, book["same_day"].pk}
    assert churned == [book["won_back"].pk]
    active, churned = books.logo_churn(D(2025, 1, 2), D(2025, 6, 30))
    assert set(active) == {book["two"].pk, book["same_day"].pk}
    assert churned == [book["two"].pk]


def test_the_query_expressions_agree_with_the_ledger_in_memory_on_every_day(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    books = ledger.load(workspace)
    day = D(2024, 12, 30)
    while day <= D(2025, 12, 2):
        paying = set(
            Account.objects.filter(workspace=workspace).filter(ledger.account_pays_on(day)).values_list("pk", flat=True)
        )
        assert paying == set(books.paying_on(day)), day
        in_force = {m.subscription_id: m.mrr_after for m in ledger.in_force_movements(day)}
        mrr = dict(
            Subscription.objects.filter(workspace=workspace)
            .annotate(mrr_on=ledger.subscription_mrr_on(day))
            .exclude(mrr_on=None)
            .values_list("pk", "mrr_on")
        )
        assert {pk: Decimal(value) for pk, value in mrr.items()} == in_force, day
        for account_id, account in books.items():
            found = account.in_force(day)
            assert {pk: value[0] for pk, value in found.items()} == {
                pk: v for pk, v in in_force.items() if Subscription.objects.get(pk=pk).account_id == account_id
            }, day
        day += dt.timedelta(days=15)


def test_only_the_workspace_s_accounts_are_read(workspace: Workspace, other_workspace: Workspace) -> None:
    mine, theirs = _account(workspace, "Mine"), _account(other_workspace, "Theirs")
    _subscription(mine, D(2025, 1, 1), 10)
    _subscription(theirs, D(2025, 1, 1), 10)
    assert list(ledger.load(workspace)) == [mine.pk]
    assert SubscriptionMovement.objects.count() == 2


def test_the_revenue_page_s_logo_churn_is_the_ledger_s(workspace: Workspace, book: dict[str, Account]) -> None:
    """Paying on 31 July: the won-back account and the one that switched products the same day; the
    win-back churned on 1 September, so the period lost one of two even though it pays at the end."""
    from retain.metrics import engine
    from retain.surveys.measures import Period

    figure = engine.revenue_metrics(workspace, Period(D(2025, 8, 1), D(2025, 12, 31), "UTC")).logo_churn
    assert figure.inputs == {"churned": 1, "active_at_start": 2}
    assert figure.value == 0.5
