"""The Jobs page in Chromium: an admin reaches it from Settings, reads last night's runs, narrows the
history to the failures, and on a phone the page does not scroll sideways. Screenshots at 1280 and
390 px wide go to SCREENSHOT_DIR (the test's temporary folder otherwise)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.tenancy.choices import JobName, JobStatus
from retain.tenancy.models import JobRun, Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WIDTHS = (1280, 390)


def _runs(workspace: Workspace) -> None:
    night = timezone.now().replace(hour=2, minute=30, second=0, microsecond=0) - dt.timedelta(days=1)
    for job, rows in ((JobName.HEALTH_NIGHTLY, 1234), (JobName.JOURNEYS_NIGHTLY, 17), (JobName.USAGE_FOLD, 5210)):
        JobRun.objects.create(
            workspace=workspace,
            job=job,
            started_at=night,
            finished_at=night + dt.timedelta(seconds=64),
            status=JobStatus.SUCCEEDED,
            rows=rows,
        )
    JobRun.objects.create(
        workspace=workspace,
        job=JobName.CHURN_MODEL,
        started_at=night + dt.timedelta(hours=1),
        finished_at=night + dt.timedelta(hours=1, seconds=3),
        status=JobStatus.FAILED,
        error="ValueError: the workspace's subscription history ends before its first account started; "
        "check the imported subscriptions' start dates",
    )


def test_an_admin_sees_whether_last_nights_jobs_ran(
    transactional_db: None, live_server: Any, page: Any, alice: Member, workspace: Workspace, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    # The live server's first request imports every view: on a busy machine that alone can take
    # longer than the shared fixture's 15 s.
    page.set_default_timeout(60_000)
    _runs(workspace)
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/settings/")
    page.click("nav.actions a:has-text('Jobs')")
    page.wait_for_url(re.compile(r"/w/acme/jobs/$"))
    health = page.locator("#job-latest tr[data-job='health.nightly']")
    assert "Succeeded" in health.inner_text() and "1,234" in health.inner_text() and "1 min 4 s" in health.inner_text()
    churn = page.locator("#job-latest tr[data-job='risk.churn_model']")
    assert "Failed" in churn.inner_text() and "No successful run recorded" in churn.inner_text()
    assert page.locator("summary.current").inner_text() == "Workspace"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"jobs-{width}.png"), full_page=True)
        fits_width(page, "the Jobs page")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.select_option("select[name=status]", "failed")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=failed"))
    assert page.locator("#job-runs tr[data-run]").count() == 1
    assert "ValueError" in page.inner_text("#job-runs")
    page.screenshot(path=str(folder / "jobs-failed-1280.png"), full_page=True)
