"""Health jobs: new usage re-scores its accounts right after the fold; the nightly run scores everyone."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.health import jobs
from retain.health.models import HealthScore
from retain.health.selectors import latest_score
from retain.lib.dates import today_in
from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import write_key_create
from retain.usage.events import check_calls
from retain.usage.jobs import fold_usage
from retain.usage.rollups import rollups_fold
from retain.usage.services import ingest_calls


@pytest.fixture
def key(workspace: Workspace) -> WriteKey:
    return write_key_create(workspace=workspace, name="Product")[0]


@pytest.fixture
def initech(workspace: Workspace) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1", tier="community"
    )


def send(key: WriteKey, *calls: dict[str, Any]) -> None:
    now = timezone.now()
    checked = check_calls({"batch": list(calls)}, default_type=None, received_at=now)
    assert not checked.rejections, checked.rejections
    ingest_calls(write_key=key, checked=checked, received_at=now, raw_calls=list(calls))


def track(user: str, name: str, message_id: str) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": user,
        "event": name,
        "timestamp": timezone.now().isoformat(),
        "messageId": message_id,
        "context": {"groupId": "acct-1"},
    }


def test_the_fold_reports_the_accounts_it_touched(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    send(key, track("ann", "Signed In", "m1"), track("bob", "Report Viewed", "m2"))
    result = rollups_fold(workspace=workspace)
    assert result.account_ids == (initech.pk,)
    assert rollups_fold(workspace=workspace).account_ids == ()


def test_new_usage_is_scored_right_after_the_minutely_fold(
    workspace: Workspace, key: WriteKey, initech: Account, account: Account
) -> None:
    send(key, track("ann", "Signed In", "m1"), track("ann", "Report Viewed", "m2"))
    assert fold_usage.delay().get() == 2
    score = latest_score(initech)
    assert score is not None
    assert score.day == today_in(workspace.time_zone)
    active_days = next(m for m in score.measures if m["kind"] == "active_days")
    assert active_days["raw"] == 1
    # Only the touched account was re-scored.
    assert latest_score(account) is None


def test_a_fold_with_nothing_new_scores_nothing(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    assert fold_usage.delay().get() == 0
    assert not HealthScore.objects.exists()


def test_rescore_accounts_scores_the_accounts_given(workspace: Workspace, initech: Account, account: Account) -> None:
    assert jobs.rescore_accounts.delay(workspace.pk, [initech.pk]).get() == 1
    assert list(HealthScore.objects.values_list("account_id", flat=True)) == [initech.pk]


def test_rescore_accounts_of_a_deleted_workspace_does_nothing(db: None) -> None:
    assert jobs.rescore_accounts.delay(987654, [1, 2]).get() == 0


def test_the_nightly_run_scores_every_account_of_every_workspace(
    workspace: Workspace, other_workspace: Workspace, initech: Account, account: Account
) -> None:
    elsewhere = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Elsewhere")
    assert jobs.recompute_all.delay().get() == 3
    assert set(HealthScore.objects.values_list("account_id", flat=True)) == {initech.pk, account.pk, elsewhere.pk}
    assert HealthScore.objects.filter(account=elsewhere).get().workspace == other_workspace


def test_the_nightly_run_is_scheduled_with_an_expiry() -> None:
    entry = SCHEDULE["recompute-health"]
    assert entry["task"] == "retain.health.jobs.recompute_all"
    assert entry["task"] in app.tasks
    assert entry["options"]["expires"] > 0
