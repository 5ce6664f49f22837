"""The revenue dashboard in a real browser: vega-embed draws the waterfall and the retention trend
from the specs on the page, and a figure opens to show its formula.

Needs the vendored chart libraries (`make assets`); skipped with that reason when they are missing,
except under CI=true, where it is a failure.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from retain.accounts.models import Account
from retain.metrics.tests.test_engine import book as book  # the hand-worked ledger fixture
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import charts as charts  # the vendored chart libraries
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

SCREENSHOT = Path("/tmp/retain-revenue-page.png")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_charts_are_drawn_and_a_figure_shows_its_formula(
    transactional_db: None, live_server: Any, page: Any, charts: None, alice: Member, book: dict[str, Account]
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/revenue/?period=custom&start=2026-01-01&end=2026-03-31")
    page.wait_for_selector("#waterfall .vega-chart svg")
    page.wait_for_selector("#trend .vega-chart svg")
    # One bar per step: start, five movement kinds, the currency line and the end.
    assert page.locator("#waterfall .vega-chart svg .mark-rect path").count() == 8
    page.click("#figure-nrr summary")
    assert "NRR = $2,700 / $3,500 = 77.1% (3 accounts)" in page.inner_text("#figure-nrr")
    assert errors == []
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_the_clv_per_tier_opens_to_show_the_margin_and_fits_a_phone(
    transactional_db: None, live_server: Any, page: Any, alice: Member, workspace: Workspace
) -> None:
    started = timezone.localdate() - dt.timedelta(days=400)
    for i in range(12):
        lost = started + dt.timedelta(days=60) if i < 3 else started + dt.timedelta(days=200) if i < 7 else None
        customer(workspace, f"C {i}", started=started, lost=lost, mrr=300)
        customer(workspace, f"S {i}", started=started, lost=started + dt.timedelta(days=60) if i == 0 else None,
                 mrr=5000, tier="strategic")  # fmt: skip
    log_in(page, live_server, alice)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/w/acme/revenue/")
        page.click("#clv-community-seed summary")
        assert "gross margin\n75%" in page.inner_text("#clv-community-seed")
        assert "not enough churn history: 1 account(s) lost" in page.inner_text("#clv-strategic-refusal")
        fits_width(page, f"the revenue page at {width} px")
        page.locator("#clv").screenshot(path=f"/tmp/retain-revenue-clv-{width}.png")


def test_an_admin_sets_the_gross_margin_and_the_revenue_page_uses_it(
    transactional_db: None, live_server: Any, page: Any, alice: Member, workspace: Workspace
) -> None:
    log_in(page, live_server, alice)
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/w/acme/settings/")
        fits_width(page, f"the settings page at {width} px")
        page.screenshot(path=f"/tmp/retain-settings-{width}.png", full_page=True)
    field = page.locator("#id_gross_margin_pct")
    assert (field.get_attribute("min"), field.get_attribute("max"), field.input_value()) == ("1", "100", "75.00")
    page.fill("#id_gross_margin_pct", "62.5")
    page.click("button:text('Save settings')")
    page.wait_for_selector("text=Settings saved.")
    page.goto(f"{live_server.url}/w/acme/revenue/")
    assert page.inner_text("#clv-margin") == "62.5%"
