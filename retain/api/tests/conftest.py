"""API test helpers: a client acting as a member through a real token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from retain.tenancy.models import Member
from retain.tenancy.services import api_token_create

ClientFor = Callable[[Member], APIClient]


@pytest.fixture
def client_for(db: None) -> ClientFor:
    """client_for(member) → an APIClient sending a fresh token of that member."""

    def make(member: Member) -> APIClient:
        _, raw = api_token_create(member=member, name=f"{member.display_name}'s script")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    return make
