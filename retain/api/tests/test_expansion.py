"""/api/v1/expansion-opportunities/: list, retrieve, update, and close (a win writes the movement)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retain.accounts.models import Account, SubscriptionMovement
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.models import ExpansionOpportunity
from retain.renewals.tests.test_expansion import use_seats
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def opportunity(account: Account) -> ExpansionOpportunity:
    use_seats(account, workspace_today(account.workspace), users=10, days=14)
    expansion_signals_scan(workspace=account.workspace)
    return ExpansionOpportunity.objects.get()


def test_it_lists_and_shows_opportunities(
    opportunity: ExpansionOpportunity, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)
    body = client.get("/api/v1/expansion-opportunities/?status=open&signal=seat_utilisation").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["kind"], row["amount"]) == (opportunity.pk, "upsell", "2400.00")
    assert row["explanation"].startswith("10 of 10 seats used")
    assert client.get("/api/v1/expansion-opportunities/?signal=promoter_champion").json()["count"] == 0
    assert client.get(f"/api/v1/expansion-opportunities/{opportunity.pk}/").json()["status"] == "open"


def test_outsider_gets_404(opportunity: ExpansionOpportunity, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    url = f"/api/v1/expansion-opportunities/{opportunity.pk}/"
    assert client.get("/api/v1/expansion-opportunities/").json()["count"] == 0
    assert client.get(url).status_code == 404
    assert client.patch(url, {"amount": "1"}, format="json").status_code == 404
    assert client.post(url + "close/", {"status": "lost"}, format="json").status_code == 404


def test_it_requires_rw_access(
    opportunity: ExpansionOpportunity, vic: Member, dave: Member, client_for: ClientFor
) -> None:
    url = f"/api/v1/expansion-opportunities/{opportunity.pk}/"
    for member in (vic, dave):  # a viewer, and a CSM whose book Globex is not in
        client = client_for(member)
        assert client.patch(url, {"amount": "1"}, format="json").status_code == 403
        assert client.post(url + "close/", {"status": "lost"}, format="json").status_code == 403
    opportunity.refresh_from_db()
    assert (opportunity.amount, opportunity.status) == (Decimal("2400.00"), "open")


def test_the_owner_updates_it(opportunity: ExpansionOpportunity, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(
        f"/api/v1/expansion-opportunities/{opportunity.pk}/", {"amount": "3000", "notes": "QBR"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["notes"]) == ("3000.00", "QBR")


def test_update_errors_name_the_field(opportunity: ExpansionOpportunity, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(
        f"/api/v1/expansion-opportunities/{opportunity.pk}/", {"amount": "-5"}, format="json"
    )
    assert response.status_code == 400
    assert "amount" in str(response.json())


def test_close_won_writes_the_movement(
    opportunity: ExpansionOpportunity, account: Account, carol: Member, client_for: ClientFor
) -> None:
    subscription = account.subscriptions.get()
    response = client_for(carol).post(
        f"/api/v1/expansion-opportunities/{opportunity.pk}/close/",
        {"status": "won", "subscription": subscription.pk, "new_mrr": "1200", "new_seats": 12},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "won"
    movement = SubscriptionMovement.objects.filter(subscription=subscription).last()
    assert movement is not None and (movement.kind, movement.seats_after) == ("expansion", 12)
