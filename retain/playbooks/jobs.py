"""Thin Celery entry point for playbooks: the minutely scan of every workspace, then the sweep."""

from __future__ import annotations

import logging
import os
import socket

from celery import shared_task

from retain.playbooks import engine, services
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)

# The minutely run stops sweeping after this long, so runs do not pile up; what is left is due
# work the next run claims.
SWEEP_BUDGET_S = 45.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="retain.playbooks.jobs.run_playbooks")
def run_playbooks() -> int:
    enrolled = 0
    for workspace in Workspace.objects.order_by("pk"):
        try:
            enrolled += engine.scan(workspace=workspace).enrolled
        except Exception:  # one workspace's broken data must not stop every other workspace's playbooks
            log.exception("playbooks: scanning workspace %s failed", workspace.slug)
    result = engine.sweep_until_idle(worker_name=worker_name(), budget_s=SWEEP_BUDGET_S)
    for workspace in Workspace.objects.order_by("pk"):
        try:
            services.digests_send(workspace=workspace)
        except Exception:  # as above: one workspace's failure stays its own
            log.exception("playbooks: sending digests of workspace %s failed", workspace.slug)
    if enrolled or result.claimed:
        log.info(
            "playbooks: %s enrolled; %s claimed, %s done, %s waiting, %s skipped, %s failed",
            enrolled,
            result.claimed,
            result.done,
            result.waiting,
            result.skipped,
            result.failed,
        )
    return result.claimed
