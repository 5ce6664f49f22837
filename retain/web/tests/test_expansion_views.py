"""The expansion list, its signal filter and close forms, and the card on the account page.

Every route is checked with the outsider (Olga → 404) and the viewer (Vic → 403 on writes); closing
with the account's CSM (Carol owns Globex) and with a CSM outside the book (Dave → 403).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retain.accounts.models import Account, SubscriptionMovement
from retain.accounts.selectors import workspace_today
from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.models import ExpansionOpportunity
from retain.renewals.tests.test_expansion import use_feature, use_seats
from retain.tenancy.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def opportunity(account: Account) -> ExpansionOpportunity:
    use_seats(account, workspace_today(account.workspace), users=10, days=14)
    expansion_signals_scan(workspace=account.workspace)
    return ExpansionOpportunity.objects.get()


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


class TestList:
    def test_it_shows_open_opportunities_with_their_explanation(
        self, opportunity: ExpansionOpportunity, vic: Member
    ) -> None:
        response = client_for(vic).get(url("expansion"))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'data-opportunity="{opportunity.pk}"' in html
        assert "10 of 10 seats used" in html and "$2,400" in html and "Carol" in html
        # A viewer reads but gets no close form.
        assert url("expansion-close", opportunity.pk) not in html

    def test_it_filters_by_signal(self, opportunity: ExpansionOpportunity, account: Account, carol: Member) -> None:
        use_feature(account, workspace_today(account.workspace), "Chatbots", days=10)
        expansion_signals_scan(workspace=account.workspace)
        client = client_for(carol)
        assert len(client.get(url("expansion")).context["opportunities"]) == 2
        rows = client.get(url("expansion") + "?signal=higher_edition_features").context["opportunities"]
        assert [o.signal for o in rows] == ["higher_edition_features"]
        assert len(client.get(url("expansion") + "?signal=bogus").context["opportunities"]) == 2

    def test_its_query_count_does_not_grow_with_rows(
        self, opportunity: ExpansionOpportunity, account: Account, carol: Member
    ) -> None:
        client = client_for(carol)
        client.get(url("expansion"))
        with CaptureQueriesContext(connection) as one:
            client.get(url("expansion"))
        use_feature(account, workspace_today(account.workspace), "Chatbots", days=10)
        expansion_signals_scan(workspace=account.workspace)
        with CaptureQueriesContext(connection) as two:
            client.get(url("expansion"))
        assert len(two) == len(one)

    def test_outsider_gets_404(self, opportunity: ExpansionOpportunity, olga: Member) -> None:
        client = client_for(olga)
        assert client.get(url("expansion")).status_code == 404
        assert client.post(url("expansion-close", opportunity.pk), {"status": "lost"}).status_code == 404


class TestClose:
    def test_it_requires_rw_access(self, opportunity: ExpansionOpportunity, vic: Member, dave: Member) -> None:
        for member in (vic, dave):
            response = client_for(member).post(url("expansion-close", opportunity.pk), {"status": "lost"})
            assert response.status_code == 403
        opportunity.refresh_from_db()
        assert opportunity.status == "open"

    def test_won_writes_the_movement(self, opportunity: ExpansionOpportunity, account: Account, carol: Member) -> None:
        subscription = account.subscriptions.get()
        response = client_for(carol).post(
            url("expansion-close", opportunity.pk),
            {"status": "won", "amount": "2400", "subscription": subscription.pk, "new_mrr": "1200", "new_seats": "12"},
        )
        assert response.status_code == 302 and response["Location"] == url("expansion")
        opportunity.refresh_from_db()
        assert opportunity.status == "won"
        movement = SubscriptionMovement.objects.filter(subscription=subscription).last()
        assert movement is not None and (movement.kind, movement.mrr_after) == ("expansion", Decimal("1200.00"))

    def test_lost_from_the_account_page_goes_back_there(
        self, opportunity: ExpansionOpportunity, account: Account, mark: Member
    ) -> None:
        response = client_for(mark).post(url("expansion-close", opportunity.pk), {"status": "lost", "back": "account"})
        assert response["Location"] == url("account", account.pk)
        opportunity.refresh_from_db()
        assert opportunity.status == "lost"

    def test_a_bad_form_changes_nothing(self, opportunity: ExpansionOpportunity, carol: Member) -> None:
        response = client_for(carol).post(url("expansion-close", opportunity.pk), {"status": "open"}, follow=True)
        assert "status" in response.content.decode()
        opportunity.refresh_from_db()
        assert opportunity.status == "open"


class TestAccountCard:
    def test_the_account_page_shows_open_opportunities(
        self, opportunity: ExpansionOpportunity, account: Account, carol: Member, vic: Member
    ) -> None:
        html = client_for(carol).get(url("account", account.pk)).content.decode()
        assert 'id="expansion"' in html and "10 of 10 seats used" in html
        assert url("expansion-close", opportunity.pk) in html
        assert (
            url("expansion-close", opportunity.pk)
            not in client_for(vic).get(url("account", account.pk)).content.decode()
        )

    def test_the_card_is_absent_without_open_opportunities(self, account: Account, carol: Member) -> None:
        assert 'id="expansion"' not in client_for(carol).get(url("account", account.pk)).content.decode()
