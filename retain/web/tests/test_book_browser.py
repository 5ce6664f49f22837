"""A CSM's book page in a real browser: vega-embed draws the start / now / target bars from the spec
on the page, and the attainment opens to show its formula.

Needs the vendored chart libraries (`make assets`); skipped with that reason when they are missing,
except under CI=true, where it is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD
from retain.tenancy.models import Member
from retain.web.tests.test_browser import page as page  # Debian's Chromium through Playwright
from retain.web.tests.test_spend_views import carols_book as carols_book  # Globex, Initech and a 120% quota

VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def test_the_book_chart_is_drawn_and_attainment_shows_its_formula(
    transactional_db: None, live_server: Any, page: Any, alice: Member, carol: Member, carols_book: dict[str, Any]
) -> None:
    missing = [
        name for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js") if not (VENDOR / name).exists()
    ]
    if missing:
        message = f"{', '.join(missing)} not in {VENDOR} (run make assets)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", alice.user.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/w/acme/books/{carol.pk}/")
    page.wait_for_selector("#standing .vega-chart svg")
    assert page.locator("#standing .vega-chart svg .mark-rect path").count() == 3
    page.click("#figure-attainment summary")
    assert "= 100.0% / 120% = 83.3%" in page.inner_text("#figure-attainment")
    assert errors == []
