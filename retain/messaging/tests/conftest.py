"""Messaging fixtures: Globex's admin Sam beside its champion Jane (the shared conftest has her)."""

from __future__ import annotations

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.api.tests.conftest import client_for  # noqa: F401  (the API tests' token client)
from retain.messaging.tests.receivers import smtp  # noqa: F401  (a real local SMTP server)


@pytest.fixture
def sam(account: Account) -> Contact:
    return account_services.contact_create(
        account=account, actor=None, via="test", email="sam@globex.example", first_name="Sam", role="admin"
    )
