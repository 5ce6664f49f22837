"""The time-in-stage report, the targets page (a manager sets a target and sees its progress and
trend) and an account's education page in a real browser (Debian's Chromium), at 1280 and 390 px
wide: nothing scrolls sideways on a phone. Screenshots go to /work/shots/team when it exists, else /tmp."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health.models import HealthScore, Scorecard
from retain.health.services import scorecards_install_defaults
from retain.team import education
from retain.team.tests.conftest import new_account
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
SHOTS = Path("/work/shots/team") if Path("/work/shots/team").is_dir() else Path("/tmp")


def _shoot(page: Any, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        fits_width(page, f"{name} at {width} px")
        page.screenshot(path=str(SHOTS / f"retain-team-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_manager_reads_time_in_stage_and_sets_a_target(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, mark: Member, erin: Member
) -> None:
    today = workspace_today(workspace)
    scorecards_install_defaults(workspace=workspace)
    scorecard = Scorecard.objects.filter(workspace=workspace).first()
    assert scorecard is not None
    stages = [("adoption", 400), ("adoption", 30), ("onboarding", 95), ("renewal", 20), ("success", 200)]
    for i, (stage, days) in enumerate(stages):
        account = new_account(
            workspace, f"Account {i}", tier="enterprise" if i % 2 else "strategic", stage=stage, owner=erin
        )
        Account.objects.filter(pk=account.pk).update(stage_entered_on=today - dt.timedelta(days=days))
        for weeks in range(0, 4):
            band = "red" if (i + weeks) % 3 == 0 else "green"
            HealthScore.objects.create(
                workspace=workspace, account=account, day=today - dt.timedelta(weeks=weeks),
                overall=30.0 if band == "red" else 80.0, band=band, scorecard=scorecard, computed_at=timezone.now(),
            )  # fmt: skip
    globex = Account.objects.get(name="Account 0")
    account_services.contact_create(
        account=globex, actor=None, via="test", email="ann@globex.example", first_name="Ann"
    )
    education.attendees_import(
        workspace=workspace,
        actor=None,
        text=f"email,session,kind,date\nann@globex.example,Reporting 101,training,{today}\n",
    )

    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    log_in(page, live_server, mark)
    page.goto(f"{live_server.url}/w/acme/team/time-in-stage/")
    page.wait_for_selector("#stage-grid")
    adoption = page.locator("#stage-grid tr[data-stage=adoption] td[data-tier=strategic]").inner_text()
    assert "400 / 400 d" in adoption and "1 over" in adoption
    over = page.inner_text("#stage-over")
    assert "Account 0" in over and "Account 1" not in over
    assert "180" in page.inner_text("#expected-days")
    _shoot(page, "time-in-stage")

    page.click("a:has-text('Accounts by days in stage')")
    page.wait_for_selector(".accounts-table")
    first_row = page.locator(".accounts-table tbody tr").first.inner_text()
    assert "Account 0" in first_row and "400 d" in first_row
    _shoot(page, "accounts-in-stage")

    page.goto(f"{live_server.url}/w/acme/team/targets/")
    page.wait_for_selector("#target-form")
    page.select_option("#id_figure", "unhealthy_share")
    page.fill("#id_target", "25")
    page.fill("#id_start", "60")
    page.fill("#id_due_on", (today + dt.timedelta(days=90)).isoformat())
    page.click("button:has-text('Save target')")
    page.wait_for_selector("#target-unhealthy_share")
    card = page.locator("#target-unhealthy_share")
    assert card.locator(".target-start").inner_text() == "60.0%"
    assert card.locator(".target-current").inner_text() == "40.0%"  # 2 of 5 red today
    assert card.locator(".target-progress").inner_text() == "57%"
    assert card.locator(".target-trend circle").count() == 4  # four weeks of scores
    card.locator("summary:has-text('How it is computed')").click()
    assert "red accounts / accounts with a health score" in card.inner_text()
    _shoot(page, "targets")

    page.goto(f"{live_server.url}/w/acme/accounts/{globex.pk}/education/")
    page.wait_for_selector("#education-rows")
    assert "Reporting 101" in page.inner_text("#education-rows")
    _shoot(page, "account-education")

    page.goto(f"{live_server.url}/w/acme/team/education/")
    page.wait_for_selector("#attendee-import")
    bad = (
        "email,session,kind,date\n"
        f"ann@globex.example,Bootcamp,bootcamp,{today}\nzed@nowhere.example,Webinar,webinar,{today}\n"
    )
    page.set_input_files("#id_file", files=[{"name": "july.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.click("#attendee-import button[type=submit]")
    page.wait_for_selector("#import-problems")
    assert "july.csv:3:1: email: 'zed@nowhere.example' is no contact of this workspace" in page.inner_text(
        "#import-problems"
    )
    assert "Bootcamp" not in page.inner_text("#sessions")  # nothing of the file was written
    _shoot(page, "education-import-error")

    page.goto(f"{live_server.url}/w/acme/team/")
    page.wait_for_selector("#qbr-coverage")
    assert "Account 0" in page.inner_text("#qbr-overdue")
    _shoot(page, "team-qbr-coverage")
