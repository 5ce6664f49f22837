"""The per-workspace job runner: each workspace's run is recorded, one workspace's failure is its own,
and the job as a whole reports it; old runs are pruned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from retain.accounts.models import Account
from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.health import jobs as health_jobs
from retain.playbooks import jobs as playbook_jobs
from retain.tenancy import services as tenancy_services
from retain.tenancy.choices import JobName, JobStatus
from retain.tenancy.jobs import JobFailed, for_each_workspace, prune_job_runs, raise_if_failed
from retain.tenancy.models import JobRun, Workspace


@pytest.fixture
def three(workspace: Workspace, other_workspace: Workspace) -> list[Workspace]:
    third = tenancy_services.workspace_create(name="Third Ltd", slug="third")
    return [workspace, other_workspace, third]


def test_each_workspace_gets_a_run_with_its_rows_and_times(three: list[Workspace]) -> None:
    before = timezone.now()
    outcome = for_each_workspace(JobName.HEALTH_NIGHTLY, lambda workspace: workspace.pk * 10)
    assert outcome.rows == sum(w.pk * 10 for w in three)
    assert outcome.runs == 3 and outcome.failed == []
    runs = {run.workspace_id: run for run in JobRun.objects.all()}
    assert set(runs) == {w.pk for w in three}
    for workspace in three:
        run = runs[workspace.pk]
        assert run.job == JobName.HEALTH_NIGHTLY and run.status == JobStatus.SUCCEEDED
        assert run.rows == workspace.pk * 10 and run.error == ""
        assert run.finished_at is not None and before <= run.started_at <= run.finished_at
    raise_if_failed(outcome)  # nothing failed: nothing raised


def test_a_failing_workspace_is_recorded_and_does_not_stop_the_others(three: list[Workspace]) -> None:
    seen: list[str] = []

    def work(workspace: Workspace) -> int:
        seen.append(workspace.slug)
        if workspace.slug == "other":
            raise ValueError("scorecard 'Default' has no measures")
        return 1

    outcome = for_each_workspace(JobName.HEALTH_NIGHTLY, work)
    assert seen == ["acme", "other", "third"]
    assert outcome.rows == 2 and outcome.failed == ["other"]
    failed = JobRun.objects.get(workspace__slug="other")
    assert failed.status == JobStatus.FAILED and failed.rows is None and failed.finished_at is not None
    assert failed.error == "ValueError: scorecard 'Default' has no measures"
    assert set(JobRun.objects.filter(status=JobStatus.SUCCEEDED).values_list("workspace__slug", flat=True)) == {
        "acme",
        "third",
    }
    with pytest.raises(JobFailed, match=r"health.nightly failed in 1 of 3 workspace\(s\): other"):
        raise_if_failed(outcome)


def test_a_failed_workspace_rolls_back_alone_inside_a_transaction(three: list[Workspace]) -> None:
    # Tests (and commands) run inside a transaction: the failed workspace's writes go, the others' stay.
    def work(workspace: Workspace) -> int:
        Workspace.objects.filter(pk=workspace.pk).update(name=workspace.name + " (seen)")
        if workspace.slug == "acme":
            raise RuntimeError("half way")
        return 0

    for_each_workspace(JobName.RENEWALS_OPEN, work)
    names = dict(Workspace.objects.values_list("slug", "name"))
    assert names == {"acme": "Acme CS", "other": "Other Co (seen)", "third": "Third Ltd (seen)"}


def test_a_long_error_is_cut_to_fit(workspace: Workspace) -> None:
    def work(workspace: Workspace) -> int:
        raise RuntimeError("x" * 5000)

    for_each_workspace(JobName.CHURN_MODEL, work)
    error = JobRun.objects.get().error
    assert len(error) == 2000 and error.startswith("RuntimeError: xxx") and error.endswith("…")


def test_the_nightly_health_run_scores_the_other_workspaces_when_one_fails(
    three: list[Workspace], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = health_jobs.health_recompute

    def recompute(*, workspace: Workspace, **kwargs: object) -> object:
        if workspace.slug == "other":
            raise RuntimeError("broken scorecard")
        return real(workspace=workspace, **kwargs)  # type: ignore[arg-type]  # the real keyword arguments

    monkeypatch.setattr(health_jobs, "health_recompute", recompute)
    with pytest.raises(JobFailed, match="other"):
        health_jobs.recompute_all()
    statuses = dict(JobRun.objects.filter(job=JobName.HEALTH_NIGHTLY).values_list("workspace__slug", "status"))
    assert statuses == {"acme": "succeeded", "other": "failed", "third": "succeeded"}


def test_the_playbook_run_still_sweeps_and_sends_digests_when_one_scan_fails(
    three: list[Workspace], account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scan = playbook_jobs.engine.scan

    def scan(*, workspace: Workspace) -> object:
        if workspace.slug == "acme":
            raise RuntimeError("bad trigger data")
        return real_scan(workspace=workspace)

    monkeypatch.setattr(playbook_jobs.engine, "scan", scan)
    with pytest.raises(JobFailed, match=r"playbooks.scan failed in 1 of 3 workspace\(s\): acme"):
        playbook_jobs.run_playbooks()
    runs = JobRun.objects.values_list("job", "workspace__slug", "status")
    assert ("playbooks.scan", "acme", "failed") in runs
    assert ("playbooks.scan", "other", "succeeded") in runs
    # The digests ran for every workspace after the failed scan.
    assert {slug for job, slug, status in runs if job == "playbooks.digests" and status == "succeeded"} == {
        "acme",
        "other",
        "third",
    }


def test_runs_older_than_the_retention_are_pruned_nightly(workspace: Workspace, settings: object) -> None:
    settings.JOB_RUN_RETENTION_DAYS = 90  # type: ignore[attr-defined]  # pytest-django's settings fixture
    now = timezone.now()
    old = JobRun.objects.create(workspace=workspace, job=JobName.USAGE_FOLD, started_at=now - dt.timedelta(days=91))
    kept = JobRun.objects.create(workspace=workspace, job=JobName.USAGE_FOLD, started_at=now - dt.timedelta(days=89))
    assert prune_job_runs() == 1
    assert not JobRun.objects.filter(pk=old.pk).exists()
    assert JobRun.objects.filter(pk=kept.pk).exists()
    pruning = JobRun.objects.get(job=JobName.JOB_RUNS_PRUNE)
    assert pruning.rows == 1 and pruning.status == JobStatus.SUCCEEDED
    entry = SCHEDULE["prune-job-runs"]
    assert entry["task"] == "retain.tenancy.jobs.prune_job_runs" and entry["task"] in app.tasks
