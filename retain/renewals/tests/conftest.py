from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.renewals.models import ReasonCode, Renewal
from retain.renewals.services import reason_codes_seed, renewals_open
from retain.tenancy.models import Member, Workspace


@pytest.fixture
def today(workspace: Workspace) -> dt.date:
    return workspace_today(workspace)


@pytest.fixture
def renewal(workspace: Workspace, account: Account, today: dt.date) -> Renewal:
    return open_renewal(workspace, account, today)


@pytest.fixture
def reason(workspace: Workspace) -> ReasonCode:
    return budget_cut(workspace)


def open_renewal(workspace: Workspace, account: Account, today: dt.date) -> Renewal:
    """Globex's renewal (term ends in 60 days, $12,000 ARR up for renewal), in Carol's name."""
    reason_codes_seed(workspace=workspace)
    renewals_open(workspace=workspace, today=today)
    return Renewal.objects.get(account=account)


def budget_cut(workspace: Workspace) -> ReasonCode:
    reason_codes_seed(workspace=workspace)
    return ReasonCode.objects.get(workspace=workspace, kind="churn", label="Budget cut")


def make_account(workspace: Workspace, name: str, tier: str, owner: Member | None, term_in_days: int,
                 mrr: str = "500") -> Account:  # fmt: skip
    account = account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, tier=tier, edition="professional", owner=owner
    )
    today = workspace_today(workspace)
    account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub",
        mrr=Decimal(mrr),
        started_on=today - dt.timedelta(days=200),
        term_end=today + dt.timedelta(days=term_in_days),
    )
    return account


def give_health(account: Account, band: str, day: dt.date, overall: float | None = 50.0) -> None:
    from django.utils import timezone

    from retain.health.models import HealthScore, Scorecard

    card, _ = Scorecard.objects.get_or_create(
        workspace=account.workspace,
        name="Enterprise",
        version=1,
        defaults={"definition": "name: Enterprise\n", "parsed": {"measures": []}, "status": "published"},
    )
    HealthScore.objects.create(
        workspace=account.workspace, account=account, day=day, overall=overall, band=band, measures=[],
        scorecard=card, computed_at=timezone.now(),
    )  # fmt: skip


def give_churn_risk(account: Account, probability: float, day: dt.date) -> None:
    """The churn model's score of the account on `day`, as a successful training writes it."""
    from django.utils import timezone

    from retain.risk.choices import RunStatus
    from retain.risk.models import ChurnModelRun, ChurnRisk

    workspace = account.workspace
    run = ChurnModelRun.objects.create(workspace=workspace, trained_at=timezone.now(), status=RunStatus.SUCCEEDED)
    ChurnRisk.objects.create(workspace=workspace, account=account, day=day, probability=probability, run=run)
