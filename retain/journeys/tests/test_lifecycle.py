from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.choices import EntryKind, Stage
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.accounts.services import account_update, renewal_windows_open
from retain.journeys import services as journey_services
from retain.journeys.services import lifecycle_auto_move, lifecycle_move
from retain.renewals import services as renewal_services
from retain.renewals.choices import Outcome
from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.models import ReasonCode
from retain.renewals.tests.conftest import open_renewal
from retain.renewals.tests.test_expansion import use_seats
from retain.tenancy.models import Member


def _last_stage_entry(account: Account) -> str:
    entry = account.timeline.filter(kind=EntryKind.STAGE_CHANGED).order_by("-id").first()
    assert entry is not None
    return entry.summary


def test_a_manual_move_writes_the_timeline_with_the_reason(account: Account, carol: Member) -> None:
    assert lifecycle_move(account=account, actor=carol, stage=Stage.SUCCESS, reason="Goals reached early")
    account.refresh_from_db()
    assert account.stage == Stage.SUCCESS
    assert account.stage_entered_on == workspace_today(account.workspace)
    entry = account.timeline.get(kind=EntryKind.STAGE_CHANGED)
    assert entry.actor == carol
    assert entry.summary == "Stage: onboarding → success — Goals reached early"
    assert entry.data == {"from": "onboarding", "to": "success", "reason": "Goals reached early", "auto": False}
    assert not account.timeline.filter(kind=EntryKind.ACCOUNT_UPDATED).exists()


def test_a_manual_move_needs_a_reason(account: Account, carol: Member) -> None:
    with pytest.raises(ValidationError) as error:
        lifecycle_move(account=account, actor=carol, stage=Stage.SUCCESS, reason="  ")
    assert "reason" in error.value.message_dict


def test_a_manual_move_needs_a_known_stage(account: Account, carol: Member) -> None:
    with pytest.raises(ValidationError) as error:
        lifecycle_move(account=account, actor=carol, stage="hibernating", reason="why not")
    assert "stage" in error.value.message_dict


def test_moving_to_the_same_stage_writes_nothing(account: Account, carol: Member) -> None:
    before = account.timeline.count()
    assert not lifecycle_move(account=account, actor=carol, stage=Stage.ONBOARDING, reason="still onboarding")
    assert account.timeline.count() == before


def test_automatic_rules_never_move_a_churned_account(account: Account) -> None:
    account_update(account=account, actor=None, via="test", stage=Stage.CHURNED)
    assert not lifecycle_auto_move(account=account, stage=Stage.RENEWAL, reason="the renewal window opened")
    assert not lifecycle_auto_move(account=account, stage=Stage.EXPANSION, reason="an expansion opportunity opened")


def test_adoption_only_follows_onboarding(account: Account) -> None:
    account_update(account=account, actor=None, via="test", stage=Stage.SUCCESS)
    assert not lifecycle_auto_move(account=account, stage=Stage.ADOPTION, reason="initial value")


def test_an_opening_renewal_window_moves_the_account_to_renewal(account: Account) -> None:
    # The fixture's subscription renews in 60 days; the enterprise window is 90 days.
    assert renewal_windows_open(workspace=account.workspace) == 1
    account.refresh_from_db()
    assert account.stage == Stage.RENEWAL
    assert "the renewal window opened" in _last_stage_entry(account)


def test_a_renewal_window_whose_stage_move_fails_is_not_opened_either(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    def move_fails(*, account_ids: list[int]) -> None:
        raise RuntimeError("stage move failed")

    monkeypatch.setattr(journey_services, "lifecycle_on_renewal_window", move_fails)
    with pytest.raises(RuntimeError):
        renewal_windows_open(workspace=account.workspace)
    assert not account.timeline.filter(kind=EntryKind.RENEWAL_WINDOW_OPENED).exists()
    monkeypatch.undo()
    # So the next run opens it, and moves the account.
    assert renewal_windows_open(workspace=account.workspace) == 1
    account.refresh_from_db()
    assert account.stage == Stage.RENEWAL


def test_an_expansion_opportunity_moves_the_account_to_expansion(account: Account) -> None:
    today = workspace_today(account.workspace)
    use_seats(account, today, users=10, days=14)
    assert expansion_signals_scan(workspace=account.workspace, today=today) == 1
    account.refresh_from_db()
    assert account.stage == Stage.EXPANSION
    assert "an expansion opportunity opened" in _last_stage_entry(account)


def test_a_renewal_closed_as_churned_moves_the_account_to_churned(account: Account) -> None:
    renewal = open_renewal(account.workspace, account, workspace_today(account.workspace))
    reasons = list(ReasonCode.objects.filter(workspace=account.workspace, kind="churn")[:1])
    renewal_services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.CHURNED, reasons=reasons)
    account.refresh_from_db()
    assert account.stage == Stage.CHURNED
    assert "the renewal closed as churned" in _last_stage_entry(account)


def test_a_plain_renewal_does_not_churn_the_account(account: Account) -> None:
    renewal = open_renewal(account.workspace, account, workspace_today(account.workspace))
    renewal_services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED)
    account.refresh_from_db()
    assert account.stage != Stage.CHURNED
