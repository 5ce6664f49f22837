"""A team: two enterprise CSMs (Erin, Ed), an SMB CSM (Sam), an operational CSM (Otto)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, Workspace

PASSWORD = "correct-horse-battery-staple"


def csm(workspace: Workspace, name: str, kind: str, capacity: int | None = None) -> Member:
    return tenancy_services.member_add(
        workspace=workspace,
        email=f"{name.lower()}@{workspace.slug}.example",
        first_name=name,
        role="csm",
        password=PASSWORD,
        csm_kind=kind,
        capacity_unit="accounts" if capacity else "",
        capacity=Decimal(capacity) if capacity else None,
    )


@pytest.fixture
def erin(workspace: Workspace) -> Member:
    return csm(workspace, "Erin", "enterprise", 3)


@pytest.fixture
def ed(workspace: Workspace) -> Member:
    return csm(workspace, "Ed", "enterprise", 3)


@pytest.fixture
def sam(workspace: Workspace) -> Member:
    return csm(workspace, "Sam", "smb")


@pytest.fixture
def otto(workspace: Workspace) -> Member:
    return csm(workspace, "Otto", "operational")


def new_account(
    workspace: Workspace,
    name: str,
    *,
    tier: str = "enterprise",
    stage: str = "adoption",
    owner: Member | None = None,
    mrr: int = 0,
    **extra: object,
) -> Account:
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, tier=tier, stage=stage, owner=owner, **extra
    )
    if mrr:
        Account.objects.filter(pk=account.pk).update(mrr=Decimal(mrr))
        account.refresh_from_db()
    return account
