from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts.choices import EntryKind, MovementKind
from retain.accounts.models import Account, Contact, SubscriptionMovement, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.renewals.expansion import (
    expansion_close,
    expansion_signals_scan,
    expansion_update,
    higher_edition_signals,
    promoter_champion_signals,
    seat_utilisation_signals,
)
from retain.renewals.models import ExpansionOpportunity
from retain.renewals.tests.conftest import give_health
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage

pytestmark = pytest.mark.django_db


def use_seats(account: Account, today: dt.date, users: int, days: int) -> None:
    """Globex has 10 seats; `users` of them active on each of the `days` days before today."""
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace_id=account.workspace_id, account=account, day=today - dt.timedelta(days=n),
                          active_users=users, events=users * 5)
        for n in range(1, days + 1)
    )  # fmt: skip


def use_feature(account: Account, today: dt.date, feature: str, days: int) -> None:
    DailyFeatureUsage.objects.bulk_create(
        DailyFeatureUsage(workspace_id=account.workspace_id, account=account, feature=feature,
                          day=today - dt.timedelta(days=n), events=3)
        for n in range(1, days + 1)
    )  # fmt: skip


def promoter_champion(account: Account, score: int = 9, category: str = "promoter") -> Contact:
    return Contact.objects.create(
        workspace_id=account.workspace_id, account=account, first_name="Ann", last_name="Lee", role="champion",
        email="ann@globex.example", nps_score=score, nps_category=category, nps_answered_at=timezone.now(),
    )  # fmt: skip


class TestSeatUtilisation:
    def test_thirteen_days_are_not_enough(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=9, days=13)
        assert seat_utilisation_signals(account.workspace, today) == []

    def test_fourteen_days_at_ninety_percent_are(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=9, days=14)
        [signal] = seat_utilisation_signals(account.workspace, today)
        assert signal.account_id == account.pk
        assert signal.kind == "upsell"
        assert signal.explanation == (
            "9 of 10 seats used on each of the last 14 days (lowest 9 of 10, 90%; min 90%); 2 more seats proposed"
        )
        # 20% more seats at $1,200 ARR each.
        assert signal.amount == Decimal("2400.00")

    def test_one_day_below_ninety_percent_breaks_it(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=9, days=14)
        DailyAccountUsage.objects.filter(account=account, day=today - dt.timedelta(days=7)).update(active_users=8)
        assert seat_utilisation_signals(account.workspace, today) == []

    def test_seats_come_from_the_ledger_on_each_day(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=9, days=14)
        subscription = account.subscriptions.get()
        # 20 seats from a week ago: 9 of 20 is 45% on the last seven days.
        SubscriptionMovement.objects.create(
            workspace_id=account.workspace_id, subscription=subscription, account=account,
            effective_on=today - dt.timedelta(days=7), kind=MovementKind.CHANGE, mrr_before=subscription.mrr,
            mrr_after=subscription.mrr, seats_before=10, seats_after=20, product_after=subscription.product,
            currency=subscription.currency,
        )  # fmt: skip
        assert seat_utilisation_signals(account.workspace, today) == []


class TestHigherEditionFeatures:
    def test_professional_account_using_enterprise_features_signals(self, account: Account, today: dt.date) -> None:
        use_feature(account, today, "Chatbots", days=8)
        use_feature(account, today, "Ads", days=3)
        [signal] = higher_edition_signals(account.workspace, today)
        assert signal.explanation == (
            "On the professional edition, used enterprise features (Ads, Chatbots) on 8 of the last 28 days (min 8)"
        )
        assert signal.amount == Decimal("6000.00")

    def test_too_few_days_do_not(self, account: Account, today: dt.date) -> None:
        use_feature(account, today, "Chatbots", days=7)
        assert higher_edition_signals(account.workspace, today) == []

    def test_professional_features_do_not(self, account: Account, today: dt.date) -> None:
        use_feature(account, today, "Email Editor", days=20)
        assert higher_edition_signals(account.workspace, today) == []

    def test_enterprise_edition_accounts_do_not(self, account: Account, today: dt.date) -> None:
        Account.objects.filter(pk=account.pk).update(edition="enterprise")
        use_feature(account, today, "Chatbots", days=20)
        assert higher_edition_signals(account.workspace, today) == []


class TestPromoterChampion:
    def test_green_account_with_promoter_champion_signals(self, account: Account, today: dt.date) -> None:
        give_health(account, "green", today, overall=82.0)
        promoter_champion(account)
        [signal] = promoter_champion_signals(account.workspace, today)
        assert signal.kind == "cross_sell"
        assert signal.explanation.startswith(f"Health green (82) on {today:%Y-%m-%d} and champion Ann Lee")
        assert "NPS 9 (promoter)" in signal.explanation

    def test_yellow_account_does_not(self, account: Account, today: dt.date) -> None:
        give_health(account, "yellow", today)
        promoter_champion(account)
        assert promoter_champion_signals(account.workspace, today) == []

    def test_passive_champion_does_not(self, account: Account, today: dt.date) -> None:
        give_health(account, "green", today)
        promoter_champion(account, score=8, category="passive")
        assert promoter_champion_signals(account.workspace, today) == []

    def test_champion_who_left_does_not(self, account: Account, today: dt.date) -> None:
        give_health(account, "green", today)
        Contact.objects.filter(pk=promoter_champion(account).pk).update(status="left")
        assert promoter_champion_signals(account.workspace, today) == []


class TestScan:
    def test_it_opens_one_opportunity_with_a_timeline_entry(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=10, days=14)
        assert expansion_signals_scan(workspace=account.workspace, today=today) == 1
        opportunity = ExpansionOpportunity.objects.get()
        assert (opportunity.signal, opportunity.status, opportunity.owner) == (
            "seat_utilisation", "open", account.owner
        )  # fmt: skip
        entry = TimelineEntry.objects.get(account=account, kind=EntryKind.EXPANSION_OPPORTUNITY_OPENED)
        assert "10 of 10 seats used" in entry.summary

    def test_it_is_idempotent(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=10, days=15)
        expansion_signals_scan(workspace=account.workspace, today=today)
        assert expansion_signals_scan(workspace=account.workspace, today=today) == 0
        assert expansion_signals_scan(workspace=account.workspace, today=today - dt.timedelta(days=1)) == 0
        assert ExpansionOpportunity.objects.count() == 1
        assert TimelineEntry.objects.filter(kind=EntryKind.EXPANSION_OPPORTUNITY_OPENED).count() == 1

    def test_a_recently_closed_opportunity_is_not_reopened(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=10, days=14)
        expansion_signals_scan(workspace=account.workspace, today=today)
        expansion_close(opportunity=ExpansionOpportunity.objects.get(), actor=None, via="test", status="lost")
        assert expansion_signals_scan(workspace=account.workspace, today=today) == 0

    def test_each_signal_opens_its_own(self, account: Account, today: dt.date) -> None:
        use_seats(account, today, users=10, days=14)
        use_feature(account, today, "A/B Testing", days=10)
        assert expansion_signals_scan(workspace=account.workspace, today=today) == 2

    def test_other_workspaces_are_left_alone(
        self, account: Account, other_workspace: Workspace, today: dt.date
    ) -> None:
        use_seats(account, today, users=10, days=14)
        assert expansion_signals_scan(workspace=other_workspace, today=today) == 0


@pytest.fixture
def opportunity(account: Account, today: dt.date) -> ExpansionOpportunity:
    use_seats(account, today, users=10, days=14)
    expansion_signals_scan(workspace=account.workspace, today=today)
    return ExpansionOpportunity.objects.get()


class TestUpdateAndClose:
    def test_update_changes_amount_and_owner(self, opportunity: ExpansionOpportunity, dave: Member) -> None:
        expansion_update(opportunity=opportunity, actor=None, amount="5000", owner=dave, notes="call in May")
        opportunity.refresh_from_db()
        assert (opportunity.amount, opportunity.owner, opportunity.notes) == (Decimal("5000.00"), dave, "call in May")

    def test_update_names_the_bad_field(self, opportunity: ExpansionOpportunity, vic: Member) -> None:
        with pytest.raises(ValidationError) as amount_error:
            expansion_update(opportunity=opportunity, actor=None, amount="-1")
        assert "amount" in amount_error.value.message_dict
        with pytest.raises(ValidationError) as owner_error:
            expansion_update(opportunity=opportunity, actor=None, owner=vic)
        assert "owner" in owner_error.value.message_dict

    def test_close_won_writes_the_movement(self, opportunity: ExpansionOpportunity, account: Account) -> None:
        subscription = account.subscriptions.get()
        expansion_close(
            opportunity=opportunity, actor=None, via="test", status="won", amount=Decimal("2400"),
            subscription=subscription, new_mrr=Decimal("1200"), new_seats=12,
        )  # fmt: skip
        opportunity.refresh_from_db()
        assert opportunity.status == "won" and opportunity.closed_at is not None
        movement = SubscriptionMovement.objects.filter(subscription=subscription).last()
        assert movement is not None
        assert (movement.kind, movement.mrr_after, movement.seats_after) == ("expansion", Decimal("1200.00"), 12)
        account.refresh_from_db()
        assert account.mrr == Decimal("1200.00")

    def test_close_lost_writes_nothing(self, opportunity: ExpansionOpportunity, account: Account) -> None:
        before = SubscriptionMovement.objects.count()
        expansion_close(opportunity=opportunity, actor=None, via="test", status="lost")
        assert SubscriptionMovement.objects.count() == before

    def test_a_closed_opportunity_cannot_change(self, opportunity: ExpansionOpportunity) -> None:
        expansion_close(opportunity=opportunity, actor=None, via="test", status="lost")
        with pytest.raises(ValidationError) as error:
            expansion_update(opportunity=opportunity, actor=None, amount="1")
        assert "status" in error.value.message_dict

    def test_close_refuses_another_accounts_subscription(
        self, opportunity: ExpansionOpportunity, workspace: Workspace
    ) -> None:
        from retain.renewals.tests.conftest import make_account

        other = make_account(workspace, "Initech", "community", None, 100)
        with pytest.raises(ValidationError) as error:
            expansion_close(
                opportunity=opportunity, actor=None, via="test", status="won",
                subscription=other.subscriptions.get(), new_mrr=Decimal("900"),
            )  # fmt: skip
        assert "subscription" in error.value.message_dict


def test_the_daily_job_scans_every_workspace(account: Account, today: dt.date) -> None:
    from retain.renewals.jobs import scan_expansion_signals

    use_seats(account, workspace_today(account.workspace), users=10, days=14)
    assert scan_expansion_signals() == 1
    assert scan_expansion_signals(account.workspace_id) == 0


def test_detection_takes_the_same_queries_for_one_account_or_many(
    account: Account, workspace: Workspace, today: dt.date
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retain.renewals.expansion import expansion_signals
    from retain.renewals.tests.conftest import make_account

    use_seats(account, today, users=10, days=14)
    use_feature(account, today, "Ads", days=9)
    with CaptureQueriesContext(connection) as one:
        assert len(expansion_signals(workspace, today)) == 2
    for n in range(3):
        other = make_account(workspace, f"Other {n}", "community", None, 100)
        Account.objects.filter(pk=other.pk).update(mrr=Decimal("500"))
        use_seats(other, today, users=1, days=14)
        use_feature(other, today, "Chatbots", days=9)
    with CaptureQueriesContext(connection) as many:
        assert len(expansion_signals(workspace, today)) == 8
    assert len(many) == len(one)
