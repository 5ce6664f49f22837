"""Thin Celery entry points for the churn-risk model."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.risk.choices import RunStatus
from retain.risk.services import churn_model_train
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.risk.jobs.retrain_all")
def retrain_all() -> int:
    """The weekly retraining: every workspace's model, then today's scores; returns how many succeeded."""
    succeeded = 0
    for workspace in Workspace.objects.order_by("pk"):
        run = churn_model_train(workspace=workspace)
        log.info("churn model for %s: %s %s", workspace.slug, run.status, run.message)
        succeeded += run.status == RunStatus.SUCCEEDED
    return succeeded
