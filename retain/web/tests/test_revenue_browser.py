"""The revenue dashboard in a real browser: vega-embed draws the waterfall and the retention trend
from the specs on the page, and a figure opens to show its formula.

Needs the vendored chart libraries (`make assets`); skipped with that reason when they are missing,
except under CI=true, where it is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from retain.accounts.models import Account
from retain.metrics.tests.test_engine import book as book  # the hand-worked ledger fixture
from retain.tenancy.models import Member
from retain.web.tests.browser import charts as charts  # the vendored chart libraries
from retain.web.tests.browser import log_in
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
