"""Home pages and notifications in a real browser (Debian's Chromium), at 1280 and 390 px wide: a CSM
logs in, lands on My book, sees the bell's count, opens the notifications and one of them, marks the
rest read; a manager lands on the team page and drills into a CSM's book. Nothing scrolls sideways.
Screenshots go to /tmp/retain-homes-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.reports.models import BusinessReview
from retain.tasks import services as task_services
from retain.team.models import Notification
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = Path("/tmp")


def _shoot(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        fits_width(page, f"{name} at {width} px")
        page.screenshot(path=str(SHOTS / f"retain-homes-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_csm_lands_on_my_book_and_reads_notifications_and_a_manager_drills_into_the_team(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, mark: Member, erin: Member
) -> None:
    today = dt.date.today()
    globex = new_account(workspace, "Globex", tier="strategic", owner=erin, mrr=900)
    initech = new_account(workspace, "Initech", mrr=400)
    Notification.objects.all().delete()  # Globex, created into Erin's book, told her too
    # Three things that need Erin, each from Mark: an account, a task, a mention in a note.
    account_services.account_update(account=initech, actor=mark, via="test", owner=erin)
    task_services.task_create(
        account=globex, title="Prepare the QBR deck", kind="other", due_on=today, owner=erin, actor=mark
    )
    account_services.touchpoint_log(
        account=globex, actor=mark, via="test", kind="note", occurred_at=timezone.now(),
        summary="Their sponsor is leaving; @erin, can you meet the new VP?",
    )  # fmt: skip
    BusinessReview.objects.create(
        workspace=workspace, account=globex, period="2026Q4", starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=30), status="planned", meeting_on=today + dt.timedelta(days=6),
    )  # fmt: skip
    # Erin's own doing tells nobody.
    task_services.task_create(account=globex, title="Own note", kind="other", due_on=today, owner=erin, actor=erin)

    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    log_in(page, live_server, erin)
    page.wait_for_url(re.compile(r"/w/acme/my-book/$"))
    page.wait_for_selector("#bell-count .bell-count[data-unread='3']")
    assert "Globex" in page.inner_text("#qbrs-due")
    _shoot(page, "my-book")

    page.click("#bell")
    page.wait_for_url(re.compile(r"/w/acme/notifications/$"))
    assert page.locator(".notification.unread").count() == 3
    assert "mentioned you in a note on Globex" in page.inner_text("#notifications")
    _shoot(page, "notifications")
    page.click(".notification.unread button:has-text('Task for you on Globex')")
    page.wait_for_url(re.compile(r"/w/acme/tasks/\d+/$"))
    page.wait_for_selector("#bell-count .bell-count[data-unread='2']")
    page.click("#bell")
    page.click("#mark-all-read")
    page.wait_for_selector("#bell-count .bell-count[data-unread='0']", state="attached")
    assert page.locator(".notification.unread").count() == 0

    page.click(".usermenu summary")
    page.click("button:has-text('Log out')")
    log_in(page, live_server, mark)
    page.wait_for_url(re.compile(r"/w/acme/team/$"))
    row = page.locator(f"#team-table tr[data-member='{erin.pk}']")
    assert "Erin" in row.inner_text()
    _shoot(page, "team")
    row.locator("a", has_text="Erin").click()
    page.wait_for_url(re.compile(rf"/w/acme/team/{erin.pk}/$"))
    page.wait_for_selector("#accounts tbody tr[data-account]")
    assert page.locator("#accounts tbody tr[data-account]").count() == 2
    assert "Erin's book" in page.inner_text("h1")
    _shoot(page, "drill-down")
