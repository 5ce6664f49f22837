"""/api/v1/subscriptions/: what accounts buy, changed only by dated movements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Subscription, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")

TODAY = dt.date.today()


@pytest.fixture
def subscription(account: Account) -> Subscription:
    return account.subscriptions.get()


def new_subscription(account_id: int, **extra: object) -> dict[str, object]:
    return {
        "account": account_id,
        "product": "Social Add-on",
        "mrr": "250.00",
        "seats": 5,
        "started_on": TODAY.isoformat(),
        "term_end": (TODAY + dt.timedelta(days=365)).isoformat(),
        **extra,
    }


def test_it_lists_and_shows_subscriptions(subscription: Subscription, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    rows = client.get(f"/api/v1/subscriptions/?account={subscription.account_id}&status=active").json()["results"]
    assert [(row["product"], row["mrr"], row["currency"]) for row in rows] == [
        ("Marketing Hub Professional", "1000.00", "USD")
    ]
    body = client.get(f"/api/v1/subscriptions/{subscription.pk}/").json()
    assert (body["seats"], body["status"]) == (10, "active")
    assert client.get("/api/v1/subscriptions/?status=churned").json()["count"] == 0


def test_a_csm_adds_a_subscription_to_its_account(account: Account, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).post("/api/v1/subscriptions/", new_subscription(account.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["currency"] == "USD"
    account.refresh_from_db()
    assert account.mrr == Decimal("1250.00")
    entry = TimelineEntry.objects.get(account=account, kind=EntryKind.SUBSCRIPTION_STARTED, actor=carol)
    assert entry.actor_label == "api"


def test_a_change_records_a_movement(subscription: Subscription, mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    response = client.post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": TODAY.isoformat(), "mrr": "1500", "seats": 15},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["movement"]["kind"], body["movement"]["mrr_delta"]) == ("expansion", "500.00")
    assert (body["subscription"]["mrr"], body["subscription"]["seats"]) == ("1500.00", 15)
    movements = client.get(f"/api/v1/subscriptions/{subscription.pk}/movements/").json()["results"]
    assert [row["kind"] for row in movements] == ["new", "expansion"]
    entry = TimelineEntry.objects.get(kind=EntryKind.SUBSCRIPTION_CHANGED)
    assert (entry.actor, entry.actor_label) == (mark, "api")
    subscription.account.refresh_from_db()
    assert subscription.account.mrr == Decimal("1500.00")


def test_a_change_of_mrr_to_zero_churns(subscription: Subscription, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": TODAY.isoformat(), "mrr": "0"},
        format="json",
    )
    assert response.json()["subscription"]["status"] == "churned"
    assert response.json()["movement"]["kind"] == "churn"


def test_a_term_change_alone_records_no_movement(
    subscription: Subscription, mark: Member, client_for: ClientFor
) -> None:
    new_end = subscription.term_end + dt.timedelta(days=365)
    response = client_for(mark).post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": TODAY.isoformat(), "term_end": new_end.isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["movement"] is None
    assert response.json()["subscription"]["term_end"] == new_end.isoformat()


def test_subscriptions_are_changed_only_through_movements(
    subscription: Subscription, mark: Member, client_for: ClientFor
) -> None:
    response = client_for(mark).patch(f"/api/v1/subscriptions/{subscription.pk}/", {"mrr": "1"}, format="json")
    assert response.status_code == 405


def test_it_checks_ownership(subscription: Subscription, dave: Member, client_for: ClientFor) -> None:
    client = client_for(dave)
    assert client.get(f"/api/v1/subscriptions/{subscription.pk}/movements/").status_code == 200
    response = client.post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": TODAY.isoformat(), "mrr": "1"},
        format="json",
    )
    assert response.status_code == 403
    response = client.post("/api/v1/subscriptions/", new_subscription(subscription.account_id), format="json")
    assert response.status_code == 403


def test_it_requires_rw_access(subscription: Subscription, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    response = client.post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": TODAY.isoformat(), "mrr": "1"},
        format="json",
    )
    assert response.status_code == 403
    assert (
        client.post("/api/v1/subscriptions/", new_subscription(subscription.account_id), format="json").status_code
        == 403
    )
    assert Subscription.objects.count() == 1


def test_outsider_gets_404(subscription: Subscription, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/subscriptions/").json()["count"] == 0
    for response in (
        client.get(f"/api/v1/subscriptions/{subscription.pk}/"),
        client.get(f"/api/v1/subscriptions/{subscription.pk}/movements/"),
        client.post(
            f"/api/v1/subscriptions/{subscription.pk}/change/", {"effective_on": TODAY.isoformat()}, format="json"
        ),
    ):
        assert response.status_code == 404
        assert response.json() == {"errors": {"detail": ["No such subscription"]}}


def test_a_validation_error_names_the_field(
    subscription: Subscription, workspace: Workspace, mark: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    response = client.post(
        "/api/v1/subscriptions/",
        new_subscription(subscription.account_id, term_end=TODAY.isoformat()),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"term_end": ["must be after the start date"]}}
    response = client.post(
        "/api/v1/subscriptions/", new_subscription(subscription.account_id, currency="EUR"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["currency"]
    response = client.post(
        f"/api/v1/subscriptions/{subscription.pk}/change/",
        {"effective_on": (TODAY - dt.timedelta(days=400)).isoformat(), "mrr": "10"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["effective_on"]
    response = client.post(f"/api/v1/subscriptions/{subscription.pk}/change/", {"mrr": "-1"}, format="json")
    assert set(response.json()["errors"]) == {"effective_on", "mrr"}
    subscription.refresh_from_db()
    assert subscription.mrr == Decimal("1000.00")
    assert subscription.movements.count() == 1
