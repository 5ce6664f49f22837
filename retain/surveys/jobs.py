"""Thin Celery entry point for surveys: the minutely sweep that sends due invitations."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.surveys.services import surveys_sweep

log = logging.getLogger(__name__)


@shared_task(name="retain.surveys.jobs.send_due_invitations")
def send_due_invitations() -> int:
    result = surveys_sweep()
    if result.planned or result.sent or result.skipped:
        log.info("surveys: %s planned, %s sent, %s skipped", result.planned, result.sent, result.skipped)
    return result.sent
