"""Shared fixtures: one workspace with a member of every role, and an outsider from another.

Alice is the admin, Mark the manager, Carol a CSM, Vic a viewer; Olga belongs to another
workspace and must get 404 for everything in this one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.lib import ratelimit
from retain.tenancy import services as tenancy_services
from retain.tenancy.models import Member, Workspace

PASSWORD = "correct-horse-battery-staple"
RATE_CLOCK = 1_800_000_030.0  # a multiple of 900 s, plus 30

# The suite shares two cores with other work: Hypothesis's timing checks measure the machine's load,
# not the property under test, so they are off; the properties and example counts stay as they are.
hypothesis_settings.register_profile("retain", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("retain")


@pytest.fixture
def workspace(db: None) -> Workspace:
    return tenancy_services.workspace_create(name="Acme CS", slug="acme")


@pytest.fixture
def other_workspace(db: None) -> Workspace:
    return tenancy_services.workspace_create(name="Other Co", slug="other")


def _member(workspace: Workspace, name: str, role: str, **extra: object) -> Member:
    return tenancy_services.member_add(
        workspace=workspace,
        email=f"{name.lower()}@{workspace.slug}.example",
        first_name=name,
        role=role,
        password=PASSWORD,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def alice(workspace: Workspace) -> Member:
    return _member(workspace, "Alice", "admin")


@pytest.fixture
def mark(workspace: Workspace) -> Member:
    return _member(workspace, "Mark", "manager")


@pytest.fixture
def carol(workspace: Workspace) -> Member:
    return _member(workspace, "Carol", "csm", csm_kind="enterprise", capacity_unit="accounts", capacity=Decimal(40))


@pytest.fixture
def dave(workspace: Workspace) -> Member:
    return _member(workspace, "Dave", "csm", csm_kind="smb")


@pytest.fixture
def vic(workspace: Workspace) -> Member:
    return _member(workspace, "Vic", "viewer")


@pytest.fixture
def olga(other_workspace: Workspace) -> Member:
    return _member(other_workspace, "Olga", "admin")


@pytest.fixture
def account(workspace: Workspace, carol: Member) -> Account:
    """An enterprise account in Carol's book with one subscription renewing in 60 days."""
    account = account_services.account_create(
        workspace=workspace,
        actor=None,
        via="test",
        name="Globex",
        domain="globex.example",
        tier="enterprise",
        edition="professional",
        owner=carol,
        external_id="crm-1",
    )
    today = dt.date.today()
    account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub Professional",
        mrr=Decimal("1000"),
        seats=10,
        started_on=today - dt.timedelta(days=305),
        term_end=today + dt.timedelta(days=60),
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def jane(account: Account) -> Contact:
    """Globex's champion."""
    return account_services.contact_create(
        account=account, actor=None, via="test", email="jane@globex.example", first_name="Jane", role="champion"
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Rate limits (public pages, ingest) count in the cache: every test starts from zero, 30 s into a
    counting window (and into a 15-minute one), so no window ends in the middle of a test."""
    monkeypatch.setattr(ratelimit, "clock", lambda: RATE_CLOCK)
    cache.clear()
    yield
    cache.clear()


# Kinds of test that take seconds each (their own processes, a browser, real concurrency), in the
# order they are started: see `_slow_first`.
SLOW_FIRST = ("embedded", "browser", "postgres")


def _slow_first(items: list[pytest.Item]) -> None:
    """Collect the slow kinds of test first, keeping the order within each kind.

    `--dist loadgroup` hands out each `xdist_group` whole, largest groups first, then single tests in
    collection order. A slow single test collected last (a browser test in retain/web, a server
    killed and restarted in retain/usage) leaves the other worker idle while it runs; started early,
    it runs beside the many short tests and both workers finish together. Every worker collects the
    same order, as xdist requires; within a kind pytest-django's order (transactional tests after the
    others) stays.
    """

    def rank(item: pytest.Item) -> int:
        return next((n for n, name in enumerate(SLOW_FIRST) if item.get_closest_marker(name)), len(SLOW_FIRST))

    items.sort(key=rank)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow kinds of test first (`_slow_first`); tests marked `postgres` need PostgreSQL's behaviour, and
    on SQLite they are a reported skip."""
    from django.conf import settings

    _slow_first(items)
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with RETAIN_TEST_DATABASE_URL (make test does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
