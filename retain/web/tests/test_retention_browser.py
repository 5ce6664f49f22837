"""The cohort retention page in a real browser: vega-embed draws the fitted and observed curves of a
tier from the spec on the page. Skipped like the revenue page's browser test when the vendored chart
libraries are missing (a failure under CI=true)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.risk.tests.ledger import customer
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import charts as charts  # the vendored chart libraries
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOT = Path("/tmp/retain-retention-page.png")
PHONE_SCREENSHOT = Path("/tmp/retain-retention-page-390.png")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_fitted_and_observed_curves_are_drawn(
    transactional_db: None, live_server: Any, page: Any, charts: None, alice: Member, workspace: Workspace
) -> None:
    started = timezone.localdate() - dt.timedelta(days=400)
    for i in range(12):
        lost = started + dt.timedelta(days=60) if i < 3 else started + dt.timedelta(days=200) if i < 5 else None
        customer(workspace, f"C {i}", started=started, lost=lost, mrr=300)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/retention/")
    page.wait_for_selector("#tier-community .vega-chart svg")
    # Two lines: the observed share and the fitted one.
    assert page.locator("#tier-community .vega-chart svg .mark-line path").count() == 2
    assert errors == []
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_tier_s_trailing_year_churn_leads_to_the_revenue_page_showing_the_same_figure(
    transactional_db: None, live_server: Any, page: Any, charts: None, alice: Member, workspace: Workspace
) -> None:
    """12 community customers paying for 400 days; 2 of them churned 100 days ago, inside the year."""
    today = timezone.localdate()
    started = today - dt.timedelta(days=400)
    for i in range(12):
        customer(workspace, f"C {i}", started=started, lost=today - dt.timedelta(days=100) if i < 2 else None, mrr=300)
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/retention/")
    line = page.locator("#year-churn-community")
    assert line.locator("strong").inner_text() == "2 / 12 = 16.7%"
    for width, path in ((1280, SCREENSHOT), (390, PHONE_SCREENSHOT)):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(path), full_page=True)
        fits_width(page)
    line.get_by_role("link", name="revenue page").click()
    page.wait_for_url("**/revenue/**")
    assert "Logo churn = 2 / 12 = 16.7%" in page.content()
