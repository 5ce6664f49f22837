"""Thin Celery entry point for playbooks: the minutely scan of every workspace, then the sweep."""

from __future__ import annotations

import logging
import os
import socket

from celery import shared_task

from retain.playbooks import engine, services
from retain.tenancy.choices import JobName
from retain.tenancy.jobs import for_each_workspace, raise_if_failed
from retain.tenancy.models import Workspace

log = logging.getLogger(__name__)

# The minutely run stops sweeping after this long, so runs do not pile up; what is left is due
# work the next run claims.
SWEEP_BUDGET_S = 45.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="retain.playbooks.jobs.run_playbooks")
def run_playbooks() -> int:
    # A workspace whose scan or digests fail is recorded and skipped; the sweep and the other
    # workspaces still run, and the job reports the failure once everything has had its turn.
    scans = for_each_workspace(JobName.PLAYBOOK_SCAN, _scan)
    enrolled = scans.rows
    result = engine.sweep_until_idle(worker_name=worker_name(), budget_s=SWEEP_BUDGET_S)
    digests = for_each_workspace(JobName.PLAYBOOK_DIGESTS, _send_digests)
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
    raise_if_failed(scans, digests)
    return result.claimed


def _scan(workspace: Workspace) -> int:
    return engine.scan(workspace=workspace).enrolled


def _send_digests(workspace: Workspace) -> int:
    return services.digests_send(workspace=workspace)
