"""Thin Celery entry points for the churn-risk model."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.risk.choices import RunStatus
from retain.risk.services import churn_model_train
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.risk.jobs.retrain_all")
def retrain_all() -> int:
    """The weekly retraining: every workspace's model, then today's scores; returns how many succeeded."""
    trained: list[int] = []

    def train(workspace: Workspace) -> int:
        # A model refused for too short a history is a finished run (its reason is on the risk
        # page), not a failed job; the rows are the accounts it scored.
        run = churn_model_train(workspace=workspace)
        log.info("churn model for %s: %s %s", workspace.slug, run.status, run.message)
        if run.status == RunStatus.SUCCEEDED:
            trained.append(workspace.pk)
        return run.scored

    outcome = for_each_workspace(JobName.CHURN_MODEL, train)
    raise_if_failed(outcome)
    return len(trained)
