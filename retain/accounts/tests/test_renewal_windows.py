"""The renewal window opens once per subscription term, at the tier's number of days before it ends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from retain.accounts import services
from retain.accounts.choices import EntryKind
from retain.accounts.jobs import open_renewal_windows
from retain.accounts.models import Account, TimelineEntry
from retain.tenancy.models import Workspace
from retain.tenancy.services import workspace_update

TODAY = dt.date(2026, 6, 1)


def _subscription(account: Account, term_end: dt.date) -> None:
    services.subscription_create(
        account=account, actor=None, via="test", product="Core", mrr=Decimal(500),
        started_on=term_end - dt.timedelta(days=365), term_end=term_end,
    )  # fmt: skip


def _opened() -> list[str]:
    return list(
        TimelineEntry.objects.filter(kind=EntryKind.RENEWAL_WINDOW_OPENED).values_list("account__name", flat=True)
    )


def test_it_opens_90_days_out_by_default(workspace: Workspace) -> None:
    inside = services.account_create(workspace=workspace, actor=None, via="test", name="Inside")
    edge = services.account_create(workspace=workspace, actor=None, via="test", name="Edge")
    outside = services.account_create(workspace=workspace, actor=None, via="test", name="Outside")
    _subscription(inside, TODAY + dt.timedelta(days=30))
    _subscription(edge, TODAY + dt.timedelta(days=90))
    _subscription(outside, TODAY + dt.timedelta(days=91))
    assert services.renewal_windows_open(workspace=workspace, today=TODAY) == 2
    assert sorted(_opened()) == ["Edge", "Inside"]


def test_it_writes_the_fact_once_however_often_it_runs(workspace: Workspace) -> None:
    account = services.account_create(workspace=workspace, actor=None, via="test", name="Once")
    _subscription(account, TODAY + dt.timedelta(days=10))
    assert services.renewal_windows_open(workspace=workspace, today=TODAY) == 1
    assert services.renewal_windows_open(workspace=workspace, today=TODAY) == 0
    assert services.renewal_windows_open(workspace=workspace, today=TODAY + dt.timedelta(days=1)) == 0
    entry = TimelineEntry.objects.get(kind=EntryKind.RENEWAL_WINDOW_OPENED)
    assert entry.data["window_days"] == 90
    assert entry.actor_label == "system"


def test_each_tier_has_its_own_window(workspace: Workspace) -> None:
    workspace_update(workspace=workspace, renewal_window_strategic_days=180, renewal_window_community_days=30)
    big = services.account_create(workspace=workspace, actor=None, via="test", name="Big", tier="strategic")
    small = services.account_create(workspace=workspace, actor=None, via="test", name="Small", tier="community")
    _subscription(big, TODAY + dt.timedelta(days=150))
    _subscription(small, TODAY + dt.timedelta(days=60))
    services.renewal_windows_open(workspace=workspace, today=TODAY)
    assert _opened() == ["Big"]


def test_a_renewed_term_opens_a_new_window(workspace: Workspace) -> None:
    account = services.account_create(workspace=workspace, actor=None, via="test", name="Renewer")
    _subscription(account, TODAY + dt.timedelta(days=10))
    services.renewal_windows_open(workspace=workspace, today=TODAY)
    subscription = account.subscriptions.get()
    services.subscription_change(
        subscription=subscription, actor=None, via="test", effective_on=TODAY, term_end=TODAY + dt.timedelta(days=375)
    )
    services.renewal_windows_open(workspace=workspace, today=TODAY + dt.timedelta(days=290))
    assert len(_opened()) == 2


def test_churned_subscriptions_do_not_open_a_window(workspace: Workspace) -> None:
    account = services.account_create(workspace=workspace, actor=None, via="test", name="Gone")
    _subscription(account, TODAY + dt.timedelta(days=10))
    services.subscription_churn(
        subscription=account.subscriptions.get(), actor=None, via="test", effective_on=TODAY - dt.timedelta(days=5)
    )
    assert services.renewal_windows_open(workspace=workspace, today=TODAY) == 0


def test_the_job_runs_for_every_workspace(workspace: Workspace, other_workspace: Workspace) -> None:
    for ws in (workspace, other_workspace):
        account = services.account_create(workspace=ws, actor=None, via="test", name=f"Soon {ws.slug}")
        term_end = dt.date.today() + dt.timedelta(days=5)
        _subscription(account, term_end)
    assert open_renewal_windows.delay().get() == 2
