"""The Jobs page: did each background job run for this workspace, how long it took, what it touched,
and what stopped it when it failed; then every run, filtered and paged. Admins only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from retain.tenancy import access, selectors
from retain.tenancy.choices import JobStatus
from retain.tenancy.models import JobRun, Member
from retain.web.decorators import workspace_view
from retain.web.forms_admin import JobRunFilterForm
from retain.web.views.accounts import in_workspace_time

PAGE_SIZE = 50


def duration_text(duration: dt.timedelta | None) -> str:
    """A run's length as a person reads it: "0.4 s", "12 s", "3 min 4 s", "2 h 5 min"."""
    if duration is None:
        return "—"
    seconds = duration.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class RunRow:
    """One run as the page shows it: plain values, no model in the template beyond the run itself."""

    run: JobRun
    job: str
    status: str
    duration: str
    rows: str


def _row(run: JobRun) -> RunRow:
    return RunRow(
        run=run,
        job=run.get_job_display(),
        status=run.status,
        duration=duration_text(run.duration),
        rows="—" if run.rows is None else f"{run.rows:,}",
    )


@require_GET
@workspace_view
@in_workspace_time
def jobs(request: HttpRequest, member: Member) -> HttpResponse:
    access.require_admin(member)
    workspace = member.workspace
    latest = [
        {
            "job": entry.job,
            "label": entry.job.label,
            "last": _row(entry.last) if entry.last else None,
            # When the last run failed, when did it last work?
            "last_success": entry.last_success if entry.last and entry.last.status != JobStatus.SUCCEEDED else None,
        }
        for entry in selectors.job_latest_runs(workspace)
    ]
    form = JobRunFilterForm(request.GET)
    context: dict[str, Any] = {
        "latest": latest,
        "form": form,
        "page": None,
        "rows": [],
        "retention_days": settings.JOB_RUN_RETENTION_DAYS,
    }
    if not form.is_valid():
        return render(request, "web/admin/jobs.html", context, status=400)
    runs = selectors.job_runs(workspace, job=form.cleaned_data["job"], status=form.cleaned_data["status"])
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, rows=[_row(run) for run in page])
    return render(request, "web/admin/jobs.html", context)
