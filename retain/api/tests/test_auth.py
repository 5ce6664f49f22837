"""Who the API lets in: token holders as their member, logged-in users naming a workspace, nobody else."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from retain.accounts.models import Account
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member
from retain.tenancy.services import api_token_create, api_token_revoke, member_update

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def test_a_request_without_a_token_gets_401_json(account: Account) -> None:
    response = APIClient().get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json() == {"errors": {"detail": ["Authentication credentials were not provided."]}}
    assert response["WWW-Authenticate"] == "Token"


def test_an_invalid_token_gets_401_json(account: Account) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token rtn_not-a-real-token")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json() == {"errors": {"detail": ["Invalid or revoked API token"]}}


def test_a_revoked_token_gets_401_json(account: Account, mark: Member) -> None:
    token, raw = api_token_create(member=mark, name="old script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/accounts/").status_code == 200
    api_token_revoke(token=token)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json()["errors"]["detail"] == ["Invalid or revoked API token"]


def test_the_token_of_a_deactivated_member_stops_working(account: Account, mark: Member, alice: Member) -> None:
    _, raw = api_token_create(member=mark, name="script")
    member_update(actor=None, member=mark, is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/accounts/").status_code == 401


def test_a_token_acts_in_its_members_workspace_only(account: Account, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/accounts/").json()["results"] == []
    # Naming another workspace does not widen a token's reach.
    response = client.get("/api/v1/accounts/", HTTP_X_RETAIN_WORKSPACE="acme")
    assert response.json()["results"] == []
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 404


def test_a_logged_in_user_names_the_workspace(account: Account, vic: Member) -> None:
    client = APIClient()
    client.force_login(vic.user)
    by_header = client.get("/api/v1/accounts/", HTTP_X_RETAIN_WORKSPACE="acme")
    assert [row["name"] for row in by_header.json()["results"]] == ["Globex"]
    by_param = client.get("/api/v1/accounts/?workspace=acme")
    assert [row["name"] for row in by_param.json()["results"]] == ["Globex"]


def test_a_logged_in_user_must_name_a_workspace(account: Account, vic: Member) -> None:
    client = APIClient()
    client.force_login(vic.user)
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["workspace"]


def test_a_logged_in_outsider_gets_404(account: Account, olga: Member) -> None:
    client = APIClient()
    client.force_login(olga.user)
    response = client.get("/api/v1/accounts/", HTTP_X_RETAIN_WORKSPACE="acme")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No such workspace"]}}


def test_session_writes_need_the_csrf_token(account: Account, mark: Member) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(mark.user)
    response = client.patch(f"/api/v1/accounts/{account.pk}/?workspace=acme", {"stage": "adoption"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"]["detail"][0]


def test_an_unknown_path_gets_a_json_404(mark: Member, client_for: ClientFor) -> None:
    client = client_for(mark)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": ["No such endpoint"]}}
    response = client.get("/api/v1/accounts")
    assert response.json() == {"errors": {"detail": ["No such endpoint; API paths end with a slash"]}}


def test_an_unsupported_method_gets_a_json_405(account: Account, mark: Member, client_for: ClientFor) -> None:
    response = client_for(mark).delete(f"/api/v1/accounts/{account.pk}/")
    assert response.status_code == 405
    assert response.json() == {"errors": {"detail": ['Method "DELETE" not allowed.']}}


def test_a_used_token_records_when(account: Account, mark: Member) -> None:
    token, raw = api_token_create(member=mark, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    assert token.last_used_at is not None
