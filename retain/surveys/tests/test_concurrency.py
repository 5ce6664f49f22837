"""Overlapping sweeps on real concurrent connections: each contact is asked once, fatigue holds."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.messaging import services as messaging_services
from retain.surveys import services
from retain.surveys.models import Invitation, Survey
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            services.surveys_sweep()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_overlapping_sweeps_send_each_invitation_once(workspace: Workspace, account: Account) -> None:
    for n in range(15):
        account_services.contact_create(account=account, actor=None, via="test", email=f"p{n}@globex.example")
    services.survey_create(
        workspace=workspace, actor=None, name="NPS", kind="nps", schedule_kind="recurring", schedule_days=182
    )
    assert run_together(4) == []
    assert Invitation.objects.filter(status="queued").count() == 15
    messaging_services.deliveries_send_due()
    assert Invitation.objects.filter(status="sent").count() == 15
    assert len(mail.outbox) == 15
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{n}@globex.example" for n in range(15))


def test_overlapping_sweeps_of_different_surveys_keep_the_fatigue_limit(workspace: Workspace, account: Account) -> None:
    account_services.contact_create(account=account, actor=None, via="test", email="jane@globex.example")
    for name in ("One", "Two", "Three", "Four"):
        services.survey_create(
            workspace=workspace, actor=None, name=name, kind="csat", schedule_kind="recurring", schedule_days=90
        )
    for survey in Survey.objects.all():
        services.invitations_plan(survey=survey)
    assert run_together(4) == []
    assert Invitation.objects.filter(status="queued").count() == 2
    assert Invitation.objects.filter(status="skipped", skip_reason="fatigue").count() == 2
