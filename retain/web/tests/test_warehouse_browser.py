"""The warehouse pages in Chromium: an admin adds a DuckDB warehouse, writes a measure, previews which
rows match accounts, saves it and runs it. Screenshots at 1280 and 390 px wide go to SCREENSHOT_DIR
(the test's temporary folder otherwise)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from retain.accounts.models import Account
from retain.health.models import WarehouseMeasure, WarehouseValue
from retain.tenancy.models import Member
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WIDTHS = (1280, 390)
SQL = "SELECT crm_id AS account, day, seats AS value FROM product.seats ORDER BY crm_id"


def _fits(page: Any, name: str) -> None:
    fits_width(page, f"the {name} page")


def test_an_admin_defines_previews_and_runs_a_warehouse_measure(
    transactional_db: None, live_server: Any, page: Any, alice: Member, account: Account, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    warehouse = tmp_path / "lake.duckdb"
    with duckdb.connect(str(warehouse)) as db:
        db.execute("CREATE SCHEMA product")
        db.execute("CREATE TABLE product.seats (crm_id VARCHAR, day DATE, seats INTEGER)")
        db.execute("INSERT INTO product.seats VALUES ('crm-1', current_date, 9), ('crm-77', current_date, 4)")
    page.set_default_timeout(60_000)
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/w/acme/settings/")
    page.click("nav.actions a:has-text('Warehouse')")
    page.wait_for_url(re.compile(r"/w/acme/settings/warehouse/$"))
    page.fill("input[name=name]", "Lake")
    page.fill("input[name=url]", f"duckdb:///{warehouse}")
    page.click("button:has-text('Add connection')")
    page.wait_for_selector("#warehouse-connections tr[data-connection]")
    page.click("#warehouse-connections button[value=test]")
    page.wait_for_selector(".messages li:has-text('Connection Lake answered.')")

    page.click("a:has-text('New measure')")
    page.fill("input[name=key]", "seats_used")
    page.fill("input[name=name]", "Seats used")
    page.fill("textarea[name=sql]", SQL)
    page.click("button[value=preview]")
    summary = page.locator("[data-preview-summary]")
    assert "2 rows" in summary.inner_text() and "1 matched an account, 1 did not" in summary.inner_text()
    assert page.locator("#preview tr.unmatched").inner_text().startswith("crm-77")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"warehouse-preview-{width}.png"), full_page=True)
        _fits(page, "measure")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("button[value=save]")
    page.wait_for_selector("code[data-kind]:has-text('warehouse.seats_used')")
    page.click("button[value=run]")
    page.wait_for_selector(".messages li:has-text('2 rows, 1 matched, 1 unmatched')")
    assert WarehouseValue.objects.get(measure=WarehouseMeasure.objects.get()).value == 9
    page.goto(f"{live_server.url}/w/acme/settings/warehouse/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"warehouse-{width}.png"), full_page=True)
        _fits(page, "warehouse")
