"""The account page's usage panel reads the rollups: daily series, active users, features, people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.accounts.models import Account
from retain.accounts.services import account_create
from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import write_key_create
from retain.usage.rollups import rollups_fold
from retain.usage.selectors import account_usage_panel
from retain.usage.tests.test_rollups import send, track


@pytest.fixture
def key(workspace: Workspace) -> WriteKey:
    return write_key_create(workspace=workspace, name="Product")[0]


@pytest.fixture
def initech(workspace: Workspace) -> Account:
    return account_create(workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1")


def test_the_panel_shows_a_zero_filled_month_with_features_and_users(
    workspace: Workspace,
    key: WriteKey,
    initech: Account,
) -> None:
    send(
        key,
        track("ann", "Signed In", "2026-11-19T09:00:00Z"),
        track("ann", "Report Viewed", "2026-11-19T09:05:00Z", feature="reports"),
        track("ann", "Report Viewed", "2026-11-18T09:05:00Z", feature="reports"),
        track("bob", "Landing Page Edited", "2026-11-18T11:30:00Z"),
        track("bob", "Signed In", "2026-09-01T11:30:00Z"),
    )
    rollups_fold(workspace=workspace)
    panel = account_usage_panel(initech, today=dt.date(2026, 11, 20), days=30)
    assert len(panel.days) == 30
    assert panel.days[0].day == dt.date(2026, 10, 22) and panel.days[-1].day == dt.date(2026, 11, 20)
    by_day = {d.day: (d.events, d.active_users) for d in panel.days}
    assert by_day[dt.date(2026, 11, 19)] == (2, 1)
    assert by_day[dt.date(2026, 11, 18)] == (2, 2)
    assert by_day[dt.date(2026, 11, 20)] == (0, 0)
    # The September login is outside the window: neither its event nor its user counts.
    assert (panel.events, panel.active_users, panel.peak_events) == (4, 2, 2)
    assert panel.top_features == [("reports", 2), ("Landing Page Edited", 1)]
    assert [(u.user_id, u.last_seen_on, u.events_in_window) for u in panel.users] == [
        ("ann", dt.date(2026, 11, 19), 3),
        ("bob", dt.date(2026, 11, 18), 1),
    ]
    assert panel.last_seen_on == dt.date(2026, 11, 19)


def test_the_panel_costs_the_same_queries_however_busy_the_account(
    workspace: Workspace,
    key: WriteKey,
    initech: Account,
) -> None:
    send(key, track("ann", "Signed In", "2026-11-19T09:00:00Z"))
    rollups_fold(workspace=workspace)
    with CaptureQueriesContext(connection) as quiet:
        account_usage_panel(initech, today=dt.date(2026, 11, 20))
    send(key, *(track(f"user{i}", f"Feature {i}", f"2026-11-1{i % 9 + 1}T09:00:00Z") for i in range(40)))
    rollups_fold(workspace=workspace)
    with CaptureQueriesContext(connection) as busy:
        account_usage_panel(initech, today=dt.date(2026, 11, 20))
    assert len(busy.captured_queries) == len(quiet.captured_queries)
