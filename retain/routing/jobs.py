"""Thin Celery entry points for inbound routing."""

from __future__ import annotations

import logging

from celery import shared_task

from retain.routing.choices import DecidedBy
from retain.routing.models import Correction
from retain.routing.services import routing_model_retrain, routing_setup_get
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)


@shared_task(name="retain.routing.jobs.retrain_all")
def retrain_all() -> int:
    """The weekly retraining: each workspace with corrections since its model was trained; returns how many."""
    trained: list[int] = []

    def retrain(workspace: Workspace) -> int:
        setup = routing_setup_get(workspace=workspace)
        corrections = Correction.objects.filter(workspace=workspace, message__decided_by=DecidedBy.PERSON)
        if setup.model_trained_at is not None:
            corrections = corrections.filter(created_at__gt=setup.model_trained_at)
        if not corrections.exists():
            return 0
        setup, result = routing_model_retrain(workspace=workspace)
        log.info("question router for %s: %s", workspace.slug, result.cv.summary())
        trained.append(workspace.pk)
        return setup.model_rows

    outcome = for_each_workspace(JobName.ROUTING_RETRAIN, retrain)
    raise_if_failed(outcome)
    return len(trained)
