"""The minutely job: registered under its scheduled name, and sending what is due."""

from __future__ import annotations

from retain.accounts.models import Account
from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.jobs import send_due_deliveries
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import http_receiver
from retain.tenancy.models import Workspace

TASK = "retain.messaging.jobs.send_due_deliveries"


def test_the_job_sends_due_messages(workspace: Workspace, account: Account) -> None:
    with http_receiver([200]) as (receiver, url):
        services.webhook_enqueue(
            workspace=workspace, account=account, channel="slack", url=url, payload={"text": "hi"}, idempotency_key="k"
        )
        assert send_due_deliveries() == 1
        assert send_due_deliveries() == 0
    assert len(receiver.requests) == 1
    assert OutboundMessage.objects.get().status == DeliveryStatus.SENT


def test_the_job_runs_every_minute_under_its_registered_name() -> None:
    [entry] = [entry for entry in SCHEDULE.values() if entry["task"] == TASK]
    assert entry["schedule"] == 60.0
    app.loader.import_default_modules()
    assert TASK in app.tasks
