"""A product event file uploaded in Chromium: the request returns at once, the run's page follows a
worker reading the file (rows read, accepted, duplicates, rejected with the first reasons, polled
with htmx), and shows the outcome and the fold when it is done. Screenshots at 1280 and 390 px wide
go to SCREENSHOT_DIR (the test's temporary folder otherwise)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from retain.accounts import services as account_services
from retain.accounts.imports import background
from retain.accounts.models import ImportRun
from retain.tenancy.models import Member, Workspace
from retain.usage import history
from retain.usage.models import UsageEvent
from retain.web.tests.browser import fits_width, log_in
from retain.web.tests.browser import page as page  # Debian's Chromium through Playwright

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WIDTHS = (1280, 390)
ROWS = 30
CHUNK = 10


class WorkerStopped(BaseException):
    pass


def events_file(path: Path) -> Path:
    """ROWS calls: every tenth lacks its event name (rejected), the last repeats the first (a duplicate)."""
    calls: list[dict[str, object]] = []
    for i in range(ROWS - 1):
        call: dict[str, object] = {
            "userId": f"u{i % 6}",
            "messageId": f"m{i}",
            "timestamp": f"2026-10-{1 + i % 28:02d}T09:00:00Z",
            "context": {"groupId": "acct-1"},
        }
        if i % 10 != 4:
            call["event"] = "Workflow Activated" if i % 3 else "Signed In"
        calls.append(call)
    calls.append(calls[0])
    path.write_text("".join(json.dumps(call) + "\n" for call in calls), encoding="utf-8")
    return path


def test_an_event_file_upload_shows_its_progress_and_then_its_outcome(
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
    account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1")
    queued: list[int] = []
    monkeypatch.setattr(background, "_dispatch", queued.append)  # the worker is this test, below
    page.set_default_timeout(60_000)
    path = events_file(tmp_path / "segment-export.jsonl")
    log_in(page, live_server, mark)
    page.goto(f"{live_server.url}/w/acme/imports/")
    page.select_option("select[name=kind]", "history")
    page.set_input_files("input[name=file]", str(path))
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/w/acme/imports/\d+/$"))
    assert page.locator("#import-run").get_attribute("data-status") == "queued"
    assert "waiting for a worker" in page.inner_text("#import-run")
    assert len(queued) == 1 and not UsageEvent.objects.exists()

    # A worker reads two chunks, then stops in the third; the page follows without a reload.
    real_store = history.events_store
    calls = Counter[str]()

    def stopping_store(**kwargs: Any) -> history.Stored:
        calls["chunk"] += 1
        if calls["chunk"] == 3:
            raise WorkerStopped
        return real_store(**kwargs)

    monkeypatch.setattr(history, "events_store", stopping_store)
    with pytest.raises(WorkerStopped):
        background.import_process(queued[0], chunk=CHUNK)
    monkeypatch.setattr(history, "events_store", real_store)
    page.wait_for_function(
        "() => document.querySelector('#import-run [data-progress]')?.textContent.includes('20 of 30 rows read')"
    )
    assert "18 accepted, 0 duplicates, 2 rejected" in page.inner_text("[data-progress]")
    assert page.locator("#import-progress").get_attribute("value") == "20"
    assert "event (the event name) is required for track" in page.inner_text("#import-run table")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"history-progress-{width}.png"), full_page=True)
        fits_width(page, f"the history import page at {width} px")

    background.import_process(queued[0], chunk=CHUNK)  # the next worker resumes and finishes
    page.wait_for_selector("#import-run[data-status='partial']")
    assert "30 in the file: 26 accepted, 1 duplicates, 3 rejected" in page.inner_text("[data-counts]")
    assert "Folded 26 events into the daily usage of 1 account" in page.inner_text("[data-note]")
    assert page.locator("#import-run[hx-trigger]").count() == 0  # polling stopped
    assert UsageEvent.objects.count() == 26 and ImportRun.objects.get().rows_done == ROWS
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"history-done-{width}.png"), full_page=True)
        fits_width(page, f"the finished history import at {width} px")
    page.goto(f"{live_server.url}/w/acme/imports/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"history-list-{width}.png"), full_page=True)
        fits_width(page, f"the imports page at {width} px")
