"""The Renewal milestone completes from the renewal's outcome; a churn closes the journey."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from retain.accounts.choices import EntryKind, Stage
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.journeys import services as journey_services
from retain.journeys.choices import MilestoneStatus
from retain.journeys.models import Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.selectors import board_journeys
from retain.journeys.services import journeys_advance, lifecycle_move
from retain.journeys.templates import clean_milestones
from retain.renewals import services as renewal_services
from retain.renewals.choices import Outcome
from retain.renewals.models import ReasonCode
from retain.renewals.tests.conftest import open_renewal
from retain.tenancy.models import Member


def _on_critical_path(account: Account, started_days_ago: int = 400) -> Journey:
    journey_services.templates_install_defaults(workspace=account.workspace)
    template = JourneyTemplate.objects.get(workspace=account.workspace, key="critical-path", is_current=True)
    today = workspace_today(account.workspace)
    return journey_services.journey_start(
        account=account,
        template=template,
        started_on=today - dt.timedelta(days=started_days_ago),
        plan_onboarding=False,
    )


def _progress(account: Account, key: str) -> MilestoneProgress:
    return MilestoneProgress.objects.get(account=account, key=key)


def test_a_renewed_renewal_completes_the_renewal_milestone_with_the_outcome_as_evidence(account: Account) -> None:
    _on_critical_path(account)
    renewal = open_renewal(account.workspace, account, workspace_today(account.workspace))
    renewal_services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.RENEWED)
    progress = _progress(account, "renewal")
    assert progress.completed_on == workspace_today(account.workspace)
    assert progress.evidence["outcome"] == "renewed"
    assert progress.evidence["summary"].startswith("Renewed on ")
    entries = TimelineEntry.objects.filter(account=account, kind=EntryKind.MILESTONE_COMPLETED, data__key="renewal")
    assert entries.count() == 1
    assert Journey.objects.get(account=account).closed_on is None


def test_a_churned_renewal_closes_the_journey_and_nothing_on_it_counts_as_stuck(account: Account) -> None:
    _on_critical_path(account)
    journeys_advance(workspace=account.workspace, account_ids=[account.pk])
    assert _progress(account, "oriented").status == MilestoneStatus.STUCK
    renewal = open_renewal(account.workspace, account, workspace_today(account.workspace))
    reasons = list(ReasonCode.objects.filter(workspace=account.workspace, kind="churn")[:1])
    renewal_services.renewal_close(renewal=renewal, actor=None, via="test", outcome=Outcome.CHURNED, reasons=reasons)

    journey = Journey.objects.get(account=account)
    assert journey.closed_on == workspace_today(account.workspace)
    assert journey.closed_reason.startswith("Churned on ")
    renewal_row = _progress(account, "renewal")
    assert renewal_row.completed_on is None
    assert renewal_row.evidence["outcome"] == "churned"
    open_statuses = set(
        MilestoneProgress.objects.filter(account=account, completed_on__isnull=True).values_list("status", flat=True)
    )
    assert open_statuses == {MilestoneStatus.CLOSED}
    # The nightly evaluation leaves a closed journey alone, and the board's "needs attention" drops it.
    journeys_advance(
        workspace=account.workspace,
        account_ids=[account.pk],
        today=workspace_today(account.workspace) + dt.timedelta(days=30),
    )
    assert _progress(account, "oriented").status == MilestoneStatus.CLOSED
    assert not board_journeys(account.workspace, attention=True).filter(account=account).exists()
    assert not TimelineEntry.objects.filter(
        account=account, kind=EntryKind.MILESTONE_COMPLETED, data__key="renewal"
    ).exists()


def test_moving_an_account_to_churned_by_hand_closes_its_journey_too(account: Account, carol: Member) -> None:
    _on_critical_path(account)
    lifecycle_move(account=account, actor=carol, stage=Stage.CHURNED, reason="Company closed")
    assert Journey.objects.get(account=account).closed_reason == "Company closed"
    with pytest.raises(ValidationError, match="the journey closed"):
        journey_services.milestone_tick(progress=_progress(account, "oriented"), item="Kick-off call held", actor=carol)


def test_a_renewal_milestone_takes_neither_criteria_nor_items() -> None:
    base = {"key": "renewal", "name": "Renewal", "target_week": 52, "kind": "renewal"}
    assert clean_milestones([base]) == [base]
    with pytest.raises(ValidationError, match=r"milestones\[0\]\.items"):
        clean_milestones([{**base, "items": ["Renewal signed"]}])


def test_the_board_metrics_and_account_pages_show_a_closed_journey(
    account: Account, carol: Member, client: Client
) -> None:
    _on_critical_path(account)
    lifecycle_move(account=account, actor=carol, stage=Stage.CHURNED, reason="Company closed")
    assert client.login(username=carol.user.get_username(), password=PASSWORD)
    slug = account.workspace.slug
    assert client.get(reverse("journeys-metrics", args=[slug])).status_code == 200
    for url in (reverse("journeys", args=[slug]), reverse("account", args=[slug, account.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Closed" in response.content.decode(), url
