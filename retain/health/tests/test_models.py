"""Health models and reads: versioned scorecards, one score per account and day, the pulse history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError
from django.utils import timezone

from retain.accounts.models import Account
from retain.health import selectors
from retain.health.choices import Band, PulseValue, ScorecardStatus
from retain.health.models import HealthScore, Pulse, Scorecard
from retain.tenancy.models import Member, Workspace

D = dt.date(2026, 6, 30)
YAML = "name: Enterprise\nmeasures:\n  - kind: logins\n"


def scorecard(
    workspace: Workspace, version: int = 1, status: str = ScorecardStatus.PUBLISHED, **fields: Any
) -> Scorecard:
    return Scorecard.objects.create(
        workspace=workspace,
        name="Enterprise",
        version=version,
        definition=YAML,
        parsed={"measures": [{"kind": "logins"}]},
        status=status,
        **fields,
    )


def score(account: Account, card: Scorecard, day: dt.date, overall: float | None, band: str) -> HealthScore:
    return HealthScore.objects.create(
        workspace=account.workspace,
        account=account,
        day=day,
        overall=overall,
        band=band,
        measures=[
            {"kind": "logins", "label": "Logins", "raw": 6, "score": overall, "weight": 1, "contribution": overall}
        ],
        scorecard=card,
        computed_at=timezone.now(),
    )


@pytest.fixture
def card(workspace: Workspace, alice: Member) -> Scorecard:
    return scorecard(workspace, created_by=alice, is_default=True, published_at=timezone.now())


def test_a_scorecard_version_is_unique_per_name(workspace: Workspace, card: Scorecard) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        scorecard(workspace, version=1, status=ScorecardStatus.DRAFT)


def test_only_one_version_of_a_scorecard_is_published(workspace: Workspace, card: Scorecard) -> None:
    scorecard(workspace, version=2, status=ScorecardStatus.DRAFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        scorecard(workspace, version=3, status=ScorecardStatus.PUBLISHED)


def test_publishing_a_new_version_keeps_the_old_one_for_its_scores(
    workspace: Workspace, card: Scorecard, account: Account
) -> None:
    old = score(account, card, D, 80, Band.GREEN)
    card.status = ScorecardStatus.RETIRED
    card.save(update_fields=["status"])
    newer = scorecard(workspace, version=2)

    assert str(newer) == "Enterprise v2"
    old.refresh_from_db()
    assert old.scorecard == card
    with pytest.raises(RestrictedError):
        card.delete()


def test_deleting_a_workspace_removes_its_scorecards_and_scores(
    workspace: Workspace, card: Scorecard, account: Account
) -> None:
    score(account, card, D, 80, Band.GREEN)

    workspace.delete()

    assert not HealthScore.objects.exists()
    assert not Scorecard.objects.exists()


def test_another_workspace_may_use_the_same_scorecard_name(other_workspace: Workspace, card: Scorecard) -> None:
    assert scorecard(other_workspace).name == card.name


def test_there_is_one_score_per_account_and_day(card: Scorecard, account: Account) -> None:
    score(account, card, D, 80, Band.GREEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        score(account, card, D, 40, Band.RED)


def test_the_days_latest_computation_replaces_the_earlier_one(card: Scorecard, account: Account) -> None:
    score(account, card, D, 80, Band.GREEN)

    HealthScore.objects.update_or_create(
        account=account,
        day=D,
        defaults={
            "workspace": account.workspace,
            "overall": 45,
            "band": Band.RED,
            "scorecard": card,
            "computed_at": timezone.now(),
        },
    )

    assert list(HealthScore.objects.values_list("overall", "band")) == [(45, Band.RED)]


def test_an_overall_outside_0_to_100_is_refused(card: Scorecard, account: Account) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        score(account, card, D, 100.5, Band.GREEN)


def test_an_unscored_day_has_no_overall_and_a_blank_band(card: Scorecard, account: Account) -> None:
    blank = score(account, card, D, None, Band.BLANK)

    assert str(blank) == f"{account.pk} on {D}: – (blank)"


def test_a_pulse_is_red_yellow_or_green(account: Account, carol: Member) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Pulse.objects.create(workspace=account.workspace, account=account, member=carol, value=4, set_on=D)


def test_the_latest_score_is_the_latest_day(card: Scorecard, account: Account) -> None:
    assert selectors.latest_score(account) is None
    score(account, card, D - dt.timedelta(days=1), 70, Band.YELLOW)
    latest = score(account, card, D, 80, Band.GREEN)
    score(account, card, D - dt.timedelta(days=5), 20, Band.RED)

    assert selectors.latest_score(account) == latest


def test_score_history_is_the_days_up_to_today_oldest_first(card: Scorecard, account: Account) -> None:
    for offset, overall in [(0, 80), (1, 70), (6, 50), (7, 10), (-1, 90)]:
        score(account, card, D - dt.timedelta(days=offset), overall, Band.YELLOW)

    history = selectors.score_history(account, 7, today=D)

    assert [row.overall for row in history] == [50, 70, 80]


def test_scores_on_a_day_list_the_worst_first_and_the_unscored_last(
    workspace: Workspace, other_workspace: Workspace, card: Scorecard, account: Account
) -> None:
    from retain.accounts import services as account_services

    initech = account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech")
    hooli = account_services.account_create(workspace=workspace, actor=None, via="test", name="Hooli")
    elsewhere = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Elsewhere")
    score(account, card, D, 80, Band.GREEN)
    score(initech, card, D, None, Band.BLANK)
    score(hooli, card, D, 20, Band.RED)
    score(hooli, card, D - dt.timedelta(days=1), 90, Band.GREEN)
    score(elsewhere, scorecard(other_workspace), D, 5, Band.RED)

    rows = list(selectors.scores_on(workspace, D))

    assert [row.account.name for row in rows] == ["Hooli", "Globex", "Initech"]


def test_the_current_pulse_is_the_latest_set_on_or_before_the_day(account: Account, carol: Member) -> None:
    assert selectors.current_pulse(account, day=D) is None
    Pulse.objects.create(workspace=account.workspace, account=account, member=carol, value=PulseValue.RED, set_on=D)
    yellow = Pulse.objects.create(
        workspace=account.workspace, account=account, member=carol, value=PulseValue.YELLOW, set_on=D, note="Better"
    )
    Pulse.objects.create(
        workspace=account.workspace, account=account, value=PulseValue.GREEN, set_on=D + dt.timedelta(days=1)
    )

    assert selectors.current_pulse(account, day=D) == yellow
    assert selectors.current_pulse(account, day=D + dt.timedelta(days=1)).get_value_display() == "Green"  # type: ignore[union-attr]  # the test set a pulse for that day
    assert account.pulses.count() == 3
