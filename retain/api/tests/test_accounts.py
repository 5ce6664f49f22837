"""/api/v1/accounts/: the accounts list with its filters, account detail, writes and the timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from retain.accounts import services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.api.tests.conftest import ClientFor
from retain.api.views import Pages
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def initech(workspace: Workspace, dave: Member) -> Account:
    """A community account in Dave's book with no subscription."""
    return services.account_create(workspace=workspace, actor=None, via="test", name="Initech", owner=dave)


def test_it_lists_accounts_with_revenue_and_renewal(account: Account, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).get("/api/v1/accounts/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["name"] == "Globex"
    assert row["owner_name"] == "Carol"
    assert (row["mrr"], row["arr"]) == ("1000.00", "12000.00")
    assert row["next_renewal_on"] == (dt.date.today() + dt.timedelta(days=60)).isoformat()
    assert row["days_to_renewal"] == 60
    assert row["last_touchpoint_at"] is None


def test_it_filters_and_sorts_like_the_accounts_list(
    account: Account, initech: Account, carol: Member, vic: Member, client_for: ClientFor
) -> None:
    client = client_for(vic)

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/accounts/?{query}")
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names("") == ["Globex", "Initech"]
    assert names("sort=-name") == ["Initech", "Globex"]
    assert names("sort=-arr") == ["Globex", "Initech"]
    assert names("tier=enterprise") == ["Globex"]
    assert names("tier=enterprise&tier=community") == ["Globex", "Initech"]
    assert names(f"owner={carol.pk}") == ["Globex"]
    assert names("q=init") == ["Initech"]
    assert names("renewal_within_days=90") == ["Globex"]
    assert names("arr_min=12000") == ["Globex"]
    assert names("arr_max=100") == ["Initech"]


def test_a_bad_filter_is_a_400_naming_it(account: Account, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).get("/api/v1/accounts/?tier=platinum&renewal_within_days=soon&sort=size")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"tier", "renewal_within_days", "sort"}
    assert "'platinum' is not one of" in errors["tier"][0]


def test_it_shows_an_account_with_its_subscriptions(account: Account, vic: Member, client_for: ClientFor) -> None:
    response = client_for(vic).get(f"/api/v1/accounts/{account.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Globex"
    assert [(row["product"], row["mrr"], row["seats"]) for row in body["subscriptions"]] == [
        ("Marketing Hub Professional", "1000.00", 10)
    ]


def test_a_manager_creates_an_account(workspace: Workspace, mark: Member, dave: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post(
        "/api/v1/accounts/",
        {"name": "Umbrella", "tier": "strategic", "owner": dave.pk, "traits": {"plan": "gold"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    account = Account.objects.get(pk=response.json()["id"])
    assert (account.name, account.tier, account.owner, account.traits) == (
        "Umbrella",
        "strategic",
        dave,
        {"plan": "gold"},
    )
    entry = TimelineEntry.objects.get(account=account)
    assert (entry.kind, entry.actor, entry.actor_label) == (EntryKind.ACCOUNT_CREATED, mark, "api")


def test_a_csm_creates_accounts_in_its_own_book_only(
    workspace: Workspace, carol: Member, dave: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    response = client.post("/api/v1/accounts/", {"name": "Hooli"}, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] == carol.pk
    response = client.post("/api/v1/accounts/", {"name": "Pied Piper", "owner": dave.pk}, format="json")
    assert response.status_code == 403
    assert not Account.objects.filter(name="Pied Piper").exists()


def test_a_manager_updates_any_account(account: Account, mark: Member, dave: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(
        f"/api/v1/accounts/{account.pk}/",
        {"stage": "adoption", "owner": dave.pk, "industry": "Energy", "reason": "kick-off done"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["stage"], response.json()["owner"]) == ("adoption", dave.pk)
    kinds = set(
        TimelineEntry.objects.filter(account=account, actor=mark, actor_label="api").values_list("kind", flat=True)
    )
    assert kinds == {EntryKind.ACCOUNT_UPDATED, EntryKind.OWNER_CHANGED, EntryKind.STAGE_CHANGED}


def test_a_csm_updates_its_own_book(account: Account, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(f"/api/v1/accounts/{account.pk}/", {"industry": "Energy"}, format="json")
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.industry == "Energy"


def test_a_csm_cannot_move_its_account_to_another_book(
    account: Account, carol: Member, dave: Member, client_for: ClientFor
) -> None:
    response = client_for(carol).patch(f"/api/v1/accounts/{account.pk}/", {"owner": dave.pk}, format="json")
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.owner == carol


def test_it_checks_ownership(account: Account, dave: Member, client_for: ClientFor) -> None:
    client = client_for(dave)
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 200  # reads the rest of the workspace
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"industry": "Energy"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"errors": {"detail": ["You can read this account but not change it"]}}


def test_it_requires_rw_access(account: Account, vic: Member, client_for: ClientFor) -> None:
    client = client_for(vic)
    assert client.patch(f"/api/v1/accounts/{account.pk}/", {"industry": "Energy"}, format="json").status_code == 403
    assert client.post("/api/v1/accounts/", {"name": "Hooli"}, format="json").status_code == 403
    assert not Account.objects.filter(name="Hooli").exists()


def test_outsider_gets_404(account: Account, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/accounts/").json()["count"] == 0
    for response in (
        client.get(f"/api/v1/accounts/{account.pk}/"),
        client.patch(f"/api/v1/accounts/{account.pk}/", {"industry": "Energy"}, format="json"),
        client.get(f"/api/v1/accounts/{account.pk}/timeline/"),
    ):
        assert response.status_code == 404
        assert response.json() == {"errors": {"detail": ["No such account"]}}


def test_a_validation_error_names_the_field(
    account: Account, mark: Member, olga: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    response = client.post("/api/v1/accounts/", {"tier": "gold"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "tier"}
    # A rule the service enforces comes back the same way.
    response = client.post("/api/v1/accounts/", {"name": "Dup", "external_id": "crm-1"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"external_id": ["'crm-1' is already used by another account"]}}
    # A member of another workspace is, for this one, nobody.
    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"owner": olga.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"owner": [f"no member with id {olga.pk} in this workspace"]}}


def test_a_viewer_cannot_own_accounts(account: Account, mark: Member, vic: Member, client_for: ClientFor) -> None:
    response = client_for(mark).patch(f"/api/v1/accounts/{account.pk}/", {"owner": vic.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"owner": ["a viewer cannot own accounts"]}}


def test_it_shows_the_timeline(account: Account, carol: Member, vic: Member, client_for: ClientFor) -> None:
    services.account_update(account=account, actor=carol, via="web", stage="adoption")
    response = client_for(vic).get(f"/api/v1/accounts/{account.pk}/timeline/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["kind"] for row in rows][:1] == ["stage_changed"]
    assert rows[0]["actor_name"] == "Carol"
    assert {row["kind"] for row in rows} >= {"account_created", "subscription_started"}


def test_the_timeline_is_read_only(account: Account, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).post(f"/api/v1/accounts/{account.pk}/timeline/", {}, format="json")
    assert response.status_code == 405


def test_money_filters_reject_nonsense(account: Account, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).get("/api/v1/accounts/?arr_min=-5")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["arr_min"]
    assert Decimal(account.mrr) == Decimal("1000")


def test_a_page_holds_at_most_500_rows() -> None:
    request = Request(APIRequestFactory().get("/api/v1/accounts/", {"limit": 100000}))
    assert Pages().get_limit(request) == 500
