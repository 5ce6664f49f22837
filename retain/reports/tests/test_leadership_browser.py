"""The leadership pack page in a real browser: a manager picks a quarter, reads the figures with
their formulas, sees the green trend drawn, and the PDF link answers with a PDF; at 390 px wide
nothing runs off the side."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health import services as health_services
from retain.reports import periods
from retain.tenancy.models import Member
from retain.web.tests.browser import charts as charts
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright
from retain.web.tests.test_health_views import USAGE_ONLY, store_score

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
WAIT = 30_000
SHOTS = "/work/shots/leaders"


def test_a_manager_reads_the_leadership_pack_and_downloads_its_pdf(
    transactional_db: None, live_server: Any, page: Any, charts: None, account: Account, mark: Member
) -> None:
    today = workspace_today(account.workspace)
    card = health_services.scorecard_publish(workspace=account.workspace, actor=None, text=USAGE_ONLY)
    for weeks in range(4):
        store_score(account, card, today - dt.timedelta(weeks=weeks), 80.0 if weeks % 2 == 0 else 40.0,
                    "green" if weeks % 2 == 0 else "red")  # fmt: skip
    quarter = periods.quarter_of(today)
    log_in(page, live_server, mark)
    slug = account.workspace.slug
    page.goto(f"{live_server.url}/w/{slug}/leadership/?period=20X")
    assert "period: a period is a year and a quarter" in page.locator("[role=alert]").inner_text()
    page.fill("#id_period", quarter.name)
    page.click("form.period-form button[type=submit]")
    page.wait_for_selector("#health .vega-chart svg", timeout=WAIT)  # vega-embed drew the trend
    assert page.locator("#fig-green_share .fig-value").inner_text() == "100%"
    page.click("#fig-grr summary")
    assert "GRR = Σ min(MRR at end, MRR at start)" in page.locator("#fig-grr").inner_text()
    assert "Carol" in page.locator("#csms").inner_text()
    assert page.locator("#fig-renewals_due .fig-value").inner_text() == "0"  # none opened by the nightly job yet
    page.screenshot(path=f"{SHOTS}/leadership-1280.png", full_page=True)
    href = page.get_attribute("#leadership-pdf", "href")
    answer = page.request.get(f"{live_server.url}{href}")
    assert answer.status == 200 and answer.body()[:5] == b"%PDF-"
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#health .vega-chart svg", timeout=WAIT)
    fits_width(page, "the leadership pack at 390 px")
    page.screenshot(path=f"{SHOTS}/leadership-390.png", full_page=True)
