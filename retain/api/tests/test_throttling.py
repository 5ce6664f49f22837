"""Each API token has its own budget of requests a minute; above it, 429 with Retry-After."""

from __future__ import annotations

import pytest

from retain.accounts.models import Account
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member

pytestmark = pytest.mark.urls("retain.api.tests.urls")


def test_a_token_over_its_budget_gets_429_with_retry_after_and_others_do_not(
    account: Account, mark: Member, carol: Member, olga: Member, client_for: ClientFor, settings: object
) -> None:
    settings.API_RATE_PER_TOKEN = 3  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    script = client_for(mark)
    codes = [script.get(f"/api/v1/accounts/{account.pk}/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = script.get("/api/v1/accounts/")
    assert limited.status_code == 429 and limited["Retry-After"] == "30"
    assert list(limited.json()["errors"]) == ["detail"]

    # Another token, even of a member in the same workspace, has its own budget.
    assert client_for(carol).get(f"/api/v1/accounts/{account.pk}/").status_code == 200
    # The outsider's token is counted apart, and still cannot see Acme's account.
    assert client_for(olga).get(f"/api/v1/accounts/{account.pk}/").status_code == 404


def test_the_budget_is_per_token_not_per_member(
    account: Account, mark: Member, client_for: ClientFor, settings: object
) -> None:
    settings.API_RATE_PER_TOKEN = 2  # type: ignore[attr-defined]  # pytest-django's settings fixture takes any setting
    first, second = client_for(mark), client_for(mark)
    assert [first.get("/api/v1/accounts/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/accounts/").status_code == 200
