"""Messaging fixtures: Globex's champion Jane and its admin Sam, and a clean rate-limit cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.api.tests.conftest import client_for  # noqa: F401  (the API tests' token client)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def jane(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email="jane@globex.example", first_name="Jane", role="champion"
    )


@pytest.fixture
def sam(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email="sam@globex.example", first_name="Sam", role="admin"
    )
