"""Thin Celery entry point for surveys: the minutely sweep that queues due invitations."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.surveys.services import surveys_sweep

log = logging.getLogger(__name__)


@shared_task(name="retain.surveys.jobs.send_due_invitations")
def send_due_invitations() -> int:
    result = surveys_sweep()
    if result.planned or result.queued or result.skipped or result.failed:
        log.info(
            "surveys: %s planned, %s queued, %s skipped, %s failed",
            result.planned,
            result.queued,
            result.skipped,
            result.failed,
        )
    return result.queued
