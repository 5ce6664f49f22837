"""The Jobs page: an admin sees whether each job ran for the workspace, how long it took, what it
touched and why it failed, then every run filtered and paged; 403 for other members, 404 for outsiders."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from retain.tenancy.choices import JobName, JobStatus
from retain.tenancy.models import JobRun, Member, Workspace
from retain.web.views.jobs import PAGE_SIZE, duration_text

W = "/w/acme/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def run(
    workspace: Workspace,
    job: JobName,
    started: dt.datetime,
    *,
    seconds: float | None = 2.5,
    rows: int | None = 10,
    status: str = JobStatus.SUCCEEDED,
    error: str = "",
) -> JobRun:
    finished = None if seconds is None else started + dt.timedelta(seconds=seconds)
    return JobRun.objects.create(
        workspace=workspace, job=job, started_at=started, finished_at=finished, rows=rows, status=status, error=error
    )


def test_last_nights_scoring_shows_when_it_ran_how_long_it_took_and_what_it_scored(
    workspace: Workspace, alice: Member
) -> None:
    night = timezone.now().replace(microsecond=0) - dt.timedelta(hours=8)
    run(workspace, JobName.HEALTH_NIGHTLY, night - dt.timedelta(days=1), seconds=30, rows=1100)
    run(workspace, JobName.HEALTH_NIGHTLY, night, seconds=64, rows=1234)
    response = login(alice).get(W + "jobs/")
    assert response.status_code == 200
    latest = {entry["job"]: entry for entry in response.context["latest"]}
    assert list(latest) == list(JobName)  # every job is listed, run or not
    health = latest[JobName.HEALTH_NIGHTLY]
    assert health["last"].run.started_at == night
    assert (health["last"].duration, health["last"].rows, health["last_success"]) == ("1 min 4 s", "1,234", None)
    assert latest[JobName.CHURN_MODEL]["last"] is None
    body = response.content.decode()
    assert "Nightly health scoring" in body and "1,234" in body and "Not run in this workspace" in body


def test_a_failed_last_run_shows_its_error_and_when_the_job_last_worked(workspace: Workspace, alice: Member) -> None:
    now = timezone.now()
    good = run(workspace, JobName.PLAYBOOK_SCAN, now - dt.timedelta(minutes=3))
    run(
        workspace,
        JobName.PLAYBOOK_SCAN,
        now - dt.timedelta(minutes=1),
        rows=None,
        status=JobStatus.FAILED,
        error="RuntimeError: bad trigger data",
    )
    response = login(alice).get(W + "jobs/")
    scan = next(entry for entry in response.context["latest"] if entry["job"] == JobName.PLAYBOOK_SCAN)
    assert scan["last"].status == "failed" and scan["last"].rows == "—"
    assert scan["last_success"] == good
    body = response.content.decode()
    assert "RuntimeError: bad trigger data" in body and "Last succeeded" in body


def test_the_history_is_filtered_by_job_and_status_and_paged(workspace: Workspace, alice: Member) -> None:
    start = timezone.now() - dt.timedelta(days=1)
    for n in range(PAGE_SIZE + 3):
        run(workspace, JobName.USAGE_FOLD, start + dt.timedelta(minutes=n), rows=n)
    run(workspace, JobName.USAGE_FOLD, start - dt.timedelta(hours=1), status=JobStatus.FAILED, rows=None, error="E")
    run(workspace, JobName.HEALTH_NIGHTLY, start - dt.timedelta(hours=2))
    client = login(alice)
    first = client.get(W + "jobs/", {"job": "usage.fold"})
    assert first.context["page"].paginator.count == PAGE_SIZE + 4
    assert [row.rows for row in first.context["rows"][:2]] == [str(PAGE_SIZE + 2), str(PAGE_SIZE + 1)]
    second = client.get(W + "jobs/", {"job": "usage.fold", "page": "2"})
    assert [row.rows for row in second.context["rows"]] == ["2", "1", "0", "—"]
    failed = client.get(W + "jobs/", {"status": "failed"})
    assert [row.run.error for row in failed.context["rows"]] == ["E"]
    assert client.get(W + "jobs/").context["page"].paginator.count == PAGE_SIZE + 5


def test_a_bad_filter_is_refused_naming_the_field(alice: Member) -> None:
    response = login(alice).get(W + "jobs/", {"job": "coffee.make"})
    assert response.status_code == 400
    assert 'data-field="job"' in response.content.decode()


def test_only_admins_see_the_jobs_page(mark: Member, carol: Member, vic: Member, alice: Member) -> None:
    for member in (mark, carol, vic):
        assert login(member).get(W + "jobs/").status_code == 403
    assert ">Jobs</a>" not in login(mark).get(W + "members/").content.decode()
    assert ">Jobs</a>" in login(alice).get(W + "members/").content.decode()


def test_the_jobs_page_is_404_for_an_outsider_and_shows_only_her_own_runs(
    workspace: Workspace, olga: Member, alice: Member
) -> None:
    run(workspace, JobName.HEALTH_NIGHTLY, timezone.now(), error="acme-only detail", status=JobStatus.FAILED)
    client = login(olga)
    assert client.get(W + "jobs/").status_code == 404
    response = client.get("/w/other/jobs/")
    assert response.status_code == 200
    assert "acme-only detail" not in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_the_page_costs_the_same_queries_for_three_runs_or_fifty(
    workspace: Workspace, alice: Member, django_assert_max_num_queries: object
) -> None:
    client = login(alice)
    start = timezone.now() - dt.timedelta(days=2)
    for n, job in enumerate(list(JobName) * 5):
        run(workspace, job, start + dt.timedelta(minutes=n))
    with django_assert_max_num_queries(12):  # type: ignore[operator]  # pytest-django's fixture is a callable
        assert client.get(W + "jobs/").status_code == 200


def test_a_duration_reads_as_a_person_says_it() -> None:
    assert duration_text(None) == "—"
    assert duration_text(dt.timedelta(seconds=0.42)) == "0.4 s"
    assert duration_text(dt.timedelta(seconds=12.4)) == "12 s"
    assert duration_text(dt.timedelta(seconds=180)) == "3 min"
    assert duration_text(dt.timedelta(seconds=7500)) == "2 h 5 min"
