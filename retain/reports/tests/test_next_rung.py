"""The adoption section's next rung: features most peers (same tier and edition, same workspace) used
in the period that the account did not, with the share of those peers."""

from __future__ import annotations

import datetime as dt

import pytest

from retain.accounts.figures import Period
from retain.accounts.models import Account
from retain.reports import pack
from retain.tenancy.models import Workspace
from retain.usage.models import DailyFeatureUsage

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 10, 1), dt.date(2026, 11, 20)


def _peer(workspace: Workspace, name: str, tier: str = "enterprise", edition: str = "professional") -> Account:
    return Account.objects.create(workspace=workspace, name=name, tier=tier, edition=edition)


def _used(account: Account, *features: str, day: dt.date = START, events: int = 1) -> None:
    for feature in features:
        DailyFeatureUsage.objects.create(
            workspace_id=account.workspace_id, account=account, feature=feature, day=day, events=events
        )


def test_the_next_rung_counts_peers_of_the_same_tier_and_edition_in_the_period(
    account: Account, other_workspace: Workspace
) -> None:
    _used(account, "Workflows")
    first, second, third = (_peer(account.workspace, name) for name in ("P1", "P2", "P3"))
    _used(first, "Workflows", "Reports", "Attribution")
    _used(first, "Reports", day=START + dt.timedelta(days=1))  # a second day counts the account once
    _used(second, "Reports", "Social")
    _used(third, "Attribution", "Reports", "Social")
    _used(third, "Ads", events=0)  # no events: not used
    _used(third, "Landing Pages", day=START - dt.timedelta(days=1))  # before the period
    # Not peers: another tier, another edition, another workspace.
    _used(_peer(account.workspace, "Big", tier="strategic"), "Ads", "Chat", "Forms")
    _used(_peer(account.workspace, "Ent", edition="enterprise"), "Ads", "Chat", "Forms")
    _used(_peer(other_workspace, "Elsewhere"), "Ads", "Chat", "Forms")

    used, rung, peers = pack._features(account, Period(START, END))

    assert used == ["Workflows"]
    assert peers == 3
    # Reports 3/3, then Attribution and Social 2/3 in name order; Workflows is used already.
    assert rung == [
        {"feature": "Reports", "peers": 3, "share": "100%"},
        {"feature": "Attribution", "peers": 2, "share": "67%"},
        {"feature": "Social", "peers": 2, "share": "67%"},
    ]


def test_without_peers_there_is_no_next_rung(account: Account) -> None:
    _used(account, "Workflows")
    assert pack._features(account, Period(START, END)) == (["Workflows"], [], 0)
