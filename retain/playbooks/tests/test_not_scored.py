"""No false alarms: an account that is not scored yet never starts the risk review or its escalation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health import services as health_services
from retain.health.models import Pulse
from retain.health.tests.test_services import PULSE_ONLY
from retain.playbooks import engine
from retain.playbooks.defaults import playbooks_install_defaults
from retain.playbooks.models import Enrollment
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def red_pulse(account: Account, day: dt.date) -> None:
    Pulse.objects.create(workspace_id=account.workspace_id, account=account, value=1, set_on=day)


def test_the_risk_review_starts_for_a_red_customer_but_not_for_accounts_not_scored_yet(
    workspace: Workspace, account: Account, carol: Member
) -> None:
    today = workspace_today(workspace)
    new = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Newco", tier="enterprise", owner=carol,
        customer_since=today - dt.timedelta(days=20),
    )  # fmt: skip
    account_services.subscription_create(
        account=new, actor=None, via="test", product="Marketing Hub", mrr=Decimal(800),
        started_on=today - dt.timedelta(days=20), term_end=today + dt.timedelta(days=345),
    )  # fmt: skip
    free = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Freeco", tier="enterprise", owner=carol,
        customer_since=today - dt.timedelta(days=400),
    )  # fmt: skip
    for each in (account, new, free):
        red_pulse(each, today)
    health_services.scorecard_publish(workspace=workspace, actor=None, text=PULSE_ONLY)
    playbooks_install_defaults(workspace=workspace)
    health_services.health_recompute(workspace=workspace, day=today)
    engine.scan(workspace=workspace, now=timezone.now())
    started = Enrollment.objects.filter(playbook_key="health-turned-red")
    assert list(started.values_list("account_id", flat=True)) == [account.pk]
