"""`retain apitoken create|list|revoke`: the raw token is printed once, last, and works."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from retain.accounts.models import Account
from retain.tenancy.models import ApiToken, Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def run(*args: str) -> str:
    out = StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_working_token(account: Account, carol: Member) -> None:
    output = run("create", "--workspace", "acme", "--email", "Carol@acme.example", "--name", "CRM sync")
    raw = output.strip().splitlines()[-1].split()[-1]
    assert raw.startswith("rtn_")
    token = ApiToken.objects.get()
    assert (token.member, token.name) == (carol, "CRM sync")
    assert raw not in (token.key_hash, token.key_prefix)  # only the hash is kept
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.get("/api/v1/accounts/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Globex"]


def test_it_lists_and_revokes_tokens(account: Account, carol: Member) -> None:
    raw = run("create", "--workspace", "acme", "--email", "carol@acme.example").split()[-1]
    listing = run("list", "--workspace", "acme")
    assert raw[:10] in listing and "live" in listing
    assert "Revoked" in run("revoke", "--workspace", "acme", "--prefix", raw[:10])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/accounts/").status_code == 401
    assert "revoked" in run("list", "--workspace", "acme")


def test_it_refuses_someone_outside_the_workspace(account: Account, olga: Member) -> None:
    with pytest.raises(CommandError, match="is not a member of workspace 'acme'"):
        run("create", "--workspace", "acme", "--email", olga.user.email)
    with pytest.raises(CommandError, match="--email is required"):
        run("create", "--workspace", "acme")
    assert not ApiToken.objects.exists()


def test_it_does_not_revoke_another_workspaces_token(account: Account, olga: Member) -> None:
    raw = run("create", "--workspace", "other", "--email", olga.user.email).split()[-1]
    with pytest.raises(CommandError, match="no single live token"):
        run("revoke", "--workspace", "acme", "--prefix", raw[:10])
    assert ApiToken.objects.get().revoked_at is None
