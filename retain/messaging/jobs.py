"""Thin Celery entry point for messaging: the minutely sweep that sends due e-mails and webhooks."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.messaging.services import deliveries_send_due

log = logging.getLogger(__name__)


@shared_task(name="retain.messaging.jobs.send_due_deliveries")
def send_due_deliveries() -> int:
    sent = deliveries_send_due()
    if sent:
        log.info("messaging: %s messages sent", sent)
    return sent
