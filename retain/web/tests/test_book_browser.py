"""A CSM's book page in a real browser: vega-embed draws the start / now / target bars from the spec
on the page, and the attainment opens to show its formula.

Needs the vendored chart libraries (`make assets`); skipped with that reason when they are missing,
except under CI=true, where it is a failure.
"""

from __future__ import annotations

from typing import Any

import pytest

from retain.tenancy.models import Member
from retain.web.tests.browser import charts as charts  # the vendored chart libraries
from retain.web.tests.browser import log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright
from retain.web.tests.test_spend_views import carols_book as carols_book  # Globex, Initech and a 120% quota

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_book_chart_is_drawn_and_attainment_shows_its_formula(
    transactional_db: None,
    live_server: Any,
    page: Any,
    charts: None,
    alice: Member,
    carol: Member,
    carols_book: dict[str, Any],
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/books/{carol.pk}/")
    page.wait_for_selector("#standing .vega-chart svg")
    assert page.locator("#standing .vega-chart svg .mark-rect path").count() == 3
    page.click("#figure-attainment summary")
    assert "= 100.0% / 112.0% = 89.3%" in page.inner_text("#figure-attainment")
    assert errors == []
