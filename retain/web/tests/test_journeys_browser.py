"""The journey board in a real browser: filter by tier, open an account, tick a checklist item; a
template's problems shown at their line and column.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against pytest-django's live server;
skipped with a reason when Chromium is missing, except under CI=true, where it is a failure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.journeys.models import JourneyTemplate, MilestoneProgress
from retain.journeys.services import journey_start, templates_install_defaults
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_a_csm_filters_the_board_by_tier_and_ticks_a_checklist_item(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, carol: Member, account: Account
) -> None:
    start = dt.date.today() - dt.timedelta(days=120)
    journey_start(account=account, started_on=start)
    initech = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", tier="community", owner=carol
    )
    journey_start(account=initech, started_on=start)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, live_server, carol)
    page.goto(f"{live_server.url}/w/acme/journeys/")
    assert page.locator("tr[data-account]").count() == 2
    page.check("input[name=tier][value=enterprise]")
    page.click(".journey-filters button[type=submit]")
    page.wait_for_url("**tier=enterprise**")
    assert page.locator("tr[data-account]").count() == 1
    assert page.locator(f"tr[data-account='{account.pk}']").count() == 1

    page.click(f"tr[data-account='{account.pk}'] a")
    page.wait_for_selector("#journey")
    page.click("#journey button[title='Tick Kick-off call held']")
    page.wait_for_selector("#journey button[title='Untick Kick-off call held']")
    assert "Kick-off call held" in MilestoneProgress.objects.get(account=account, key="oriented").ticks
    assert errors == []


def test_a_manager_sees_each_problem_of_a_template_at_its_line_and_column(
    transactional_db: None, live_server: Any, page: Any, workspace: Workspace, mark: Member, tmp_path: Any
) -> None:
    text = (
        "- key: setup\n"
        "  name: Set-up\n"
        "  target_week: 200\n"
        "  kind: checklist\n"
        "  items: [Call held]\n"
        "  name: Set-up again\n"
    )
    log_in(page, live_server, mark)
    templates_install_defaults(workspace=workspace)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/w/acme/journeys/templates/critical-path/")
        page.fill("#milestones", text)
        page.click("button[value=publish]")
        page.wait_for_selector("#problems")
        problems = page.locator("#problems li").all_inner_texts()
        assert problems == [
            "line 3, column 3: milestones[0].target_week: must be from 1 to 104 weeks",
            "line 6, column 3: milestones[0].name: appears twice (first on line 2)",
        ]
        fits_width(page)
        page.screenshot(path=str(tmp_path / f"template-problems-{width}.png"), full_page=True)
    assert JourneyTemplate.objects.filter(key="critical-path").count() == 1
