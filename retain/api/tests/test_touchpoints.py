"""/api/v1/touchpoints/: conversations with customers, logged by the account's CSM or a manager."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from retain.accounts import services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry, Touchpoint
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def jane(account: Account) -> Contact:
    return services.contact_create(account=account, actor=None, via="test", email="jane@globex.example")


@pytest.fixture
def call(account: Account, carol: Member, jane: Contact) -> Touchpoint:
    return services.touchpoint_log(
        account=account,
        actor=carol,
        via="test",
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        summary="Kick-off call",
        contacts=[jane],
    )


def log(account_id: int, **extra: object) -> dict[str, object]:
    return {
        "account": account_id,
        "kind": "meeting",
        "occurred_at": timezone.now().isoformat(),
        "summary": "Quarterly business review",
        **extra,
    }


def test_it_lists_and_shows_touchpoints(call: Touchpoint, jane: Contact, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    rows = client.get(f"/api/v1/touchpoints/?account={call.account_id}&kind=call").json()["results"]
    assert [(row["summary"], row["contacts"]) for row in rows] == [("Kick-off call", [jane.pk])]
    assert client.get(f"/api/v1/touchpoints/{call.pk}/").json()["member"] == call.member_id
    assert client.get("/api/v1/touchpoints/?kind=email").json()["count"] == 0


def test_a_csm_logs_a_touchpoint_on_its_account(
    account: Account, carol: Member, jane: Contact, client_for: ClientFor
) -> None:
    response = client_for(carol).post(
        "/api/v1/touchpoints/", log(account.pk, contacts=[jane.pk], next_step="Send the plan"), format="json"
    )
    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get(pk=response.json()["id"])
    assert (touchpoint.member, list(touchpoint.contacts.all())) == (carol, [jane])
    entry = TimelineEntry.objects.get(kind=EntryKind.TOUCHPOINT_LOGGED)
    assert (entry.touchpoint, entry.actor, entry.actor_label) == (touchpoint, carol, "api")
    listed = client_for(carol).get("/api/v1/accounts/").json()["results"][0]
    assert listed["last_touchpoint_at"] is not None


def test_it_checks_ownership(account: Account, dave: Member, client_for: ClientFor) -> None:
    assert client_for(dave).post("/api/v1/touchpoints/", log(account.pk), format="json").status_code == 403


def test_it_requires_rw_access(account: Account, vic: Member, client_for: ClientFor) -> None:
    assert client_for(vic).post("/api/v1/touchpoints/", log(account.pk), format="json").status_code == 403
    assert Touchpoint.objects.count() == 0


def test_touchpoints_cannot_be_rewritten(call: Touchpoint, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(f"/api/v1/touchpoints/{call.pk}/", {"summary": "x"}, format="json")
    assert response.status_code == 405


def test_outsider_gets_404(call: Touchpoint, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/touchpoints/").json()["count"] == 0
    response = client.get(f"/api/v1/touchpoints/{call.pk}/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No such touchpoint"]}}


def test_a_validation_error_names_the_field(account: Account, mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    future = (timezone.now() + dt.timedelta(days=3)).isoformat()
    response = client.post("/api/v1/touchpoints/", log(account.pk, occurred_at=future), format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"occurred_at": ["is in the future"]}}
    response = client.post("/api/v1/touchpoints/", log(account.pk, kind="carrier pigeon", summary=""), format="json")
    assert set(response.json()["errors"]) == {"kind", "summary"}
    response = client.post("/api/v1/touchpoints/", log(account.pk, contacts=[999999]), format="json")
    assert response.json() == {"errors": {"contacts": ["no contact with id 999999 in this workspace"]}}
    assert Touchpoint.objects.count() == 0
