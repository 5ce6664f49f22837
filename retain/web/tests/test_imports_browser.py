"""A CSV upload in Chromium: the request returns at once, the run's page shows the import's progress
while a worker writes it (polled with htmx) and its report when it is done. Screenshots at 1280 and
390 px wide go to SCREENSHOT_DIR (the test's temporary folder otherwise)."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from retain.accounts.imports import background
from retain.accounts.imports.kinds import AccountImport
from retain.accounts.models import Account, ImportRun
from retain.tenancy.models import Member, Workspace
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WIDTHS = (1280, 390)
ROWS = 12


class WorkerStopped(BaseException):
    pass


def test_an_upload_shows_its_progress_and_then_its_report(
    transactional_db: None,
    live_server: Any,
    page: Any,
    mark: Member,
    workspace: Workspace,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    settings.DATA_DIR = tmp_path / "data"
    queued: list[int] = []
    monkeypatch.setattr(background, "_dispatch", queued.append)  # the worker is this test, below
    page.set_default_timeout(60_000)
    csv = tmp_path / "hubspot-companies.csv"
    csv.write_text(
        "Record ID,Company name,Number of Employees\n" + "".join(f"{i},Company {i},{10 + i}\n" for i in range(ROWS))
    )
    log_in(page, live_server, mark)
    page.goto(f"{live_server.url}/w/acme/imports/")
    page.select_option("select[name=kind]", "accounts")
    page.set_input_files("input[name=file]", str(csv))
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/w/acme/imports/\d+/$"))
    assert page.locator("#import-run").get_attribute("data-status") == "queued"
    assert "waiting for a worker" in page.inner_text("#import-run")
    assert len(queued) == 1 and not Account.objects.exists()

    # A worker writes the first chunks, then stops; the page follows without a reload.
    real_apply = AccountImport.apply
    calls = Counter[str]()

    def stopping_apply(self: AccountImport, draft: Any) -> str:
        calls["apply"] += 1
        if calls["apply"] == 9:
            raise WorkerStopped
        return real_apply(self, draft)

    monkeypatch.setattr(AccountImport, "apply", stopping_apply)
    with pytest.raises(WorkerStopped):
        background.import_process(queued[0], chunk=4)
    monkeypatch.setattr(AccountImport, "apply", real_apply)
    page.wait_for_function(
        "() => document.querySelector('#import-run [data-progress]')?.textContent.includes('8 of 12')"
    )
    assert page.locator("#import-progress").get_attribute("value") == "8"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"import-progress-{width}.png"), full_page=True)
        fits_width(page, f"the import page at {width} px")

    background.import_process(queued[0], chunk=4)  # the next worker resumes and finishes
    page.wait_for_selector("#import-run[data-status='applied']")
    assert f"{ROWS} created" in page.inner_text("[data-counts]")
    assert page.locator("#import-run[hx-trigger]").count() == 0  # polling stopped
    assert Account.objects.count() == ROWS and ImportRun.objects.get().rows_done == ROWS
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"import-done-{width}.png"), full_page=True)
