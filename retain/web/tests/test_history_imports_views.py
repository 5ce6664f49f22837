"""Product event history uploaded on the imports page: stored by the request, imported by a worker.

Mark (manager) uploads; Carol (CSM) and Vic (viewer) get 403 when they try; Olga, the outsider,
gets 404 for the list, the run and its progress.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from retain.accounts import services as account_services
from retain.accounts.choices import ImportStatus
from retain.accounts.imports.background import import_dir
from retain.accounts.models import ImportRun
from retain.tenancy.models import Member, Workspace
from retain.usage.models import DailyAccountUsage, UsageEvent
from retain.web.tests.test_imports_views import login, url

pytestmark = pytest.mark.django_db


def track(user: str, event: str, message_id: str, day: int) -> dict[str, object]:
    at = f"2026-10-{day:02d}T09:00:00Z"
    return {"userId": user, "event": event, "messageId": message_id, "timestamp": at, "context": {"groupId": "acct-1"}}


CALLS = [
    track("u1", "Signed In", "m1", 1),
    track("u2", "Report Viewed", "m2", 2),
    track("u2", "Report Viewed", "m2", 2),  # sent twice: stored once
    {"type": "identify", "userId": "u3", "messageId": "m3"},
]
EVENTS = "".join(json.dumps(call) + "\n" for call in CALLS)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture(autouse=True)
def initech(workspace: Workspace) -> None:
    account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1")


def history_upload(name: str = "events.jsonl", content: bytes = EVENTS.encode()) -> dict[str, object]:
    return {"kind": "history", "file": SimpleUploadedFile(name, content, "application/x-ndjson")}


def test_an_upload_is_stored_then_a_worker_imports_and_folds_it(workspace: Workspace, mark: Member) -> None:
    client = login(mark)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        response = client.post(url("imports"), history_upload())
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == url("import", run.pk)
    assert (run.kind, run.status, run.rows_done) == ("history", ImportStatus.QUEUED, 0)
    assert run.stored_file.endswith(".jsonl") and (import_dir() / run.stored_file).read_text() == EVENTS
    assert not UsageEvent.objects.exists()
    page = client.get(url("import", run.pk)).content.decode()
    assert "Product events" in page and 'hx-trigger="every 1s"' in page and "waiting for a worker" in page

    queued[0]()  # the worker
    run.refresh_from_db()
    assert (run.status, run.rows_total, run.rows_created, run.rows_unchanged, run.rows_rejected) == (
        ImportStatus.PARTIAL,
        4,
        2,
        1,
        1,
    )
    assert sorted(UsageEvent.objects.values_list("message_id", flat=True)) == ["m1", "m2"]
    assert DailyAccountUsage.objects.count() == 2  # folded, as ingest's minutely fold would
    fragment = client.get(url("import-progress", run.pk)).content.decode()
    assert "hx-trigger" not in fragment
    assert "4 in the file: 2 accepted, 1 duplicates, 1 rejected" in fragment
    assert "Folded 2 events into the daily usage of 1 account" in fragment
    assert "<h2>Rejected rows</h2>" in fragment
    assert "type &#x27;identify&#x27;: history import takes track, page and screen" in fragment
    assert not (import_dir() / run.stored_file).exists()


def test_the_progress_shows_rows_read_and_the_counts_so_far(workspace: Workspace, mark: Member) -> None:
    run = ImportRun.objects.create(
        workspace=workspace,
        kind="history",
        filename="events.jsonl",
        status=ImportStatus.RUNNING,
        rows_total=20_000,
        rows_to_write=20_000,
        rows_done=5_000,
        rows_created=4_990,
        rows_unchanged=7,
        rows_rejected=3,
        errors=[{"line": 12, "column": "", "message": "event (the event name) is required for track"}],
    )
    fragment = login(mark).get(url("import-progress", run.pk)).content.decode()
    assert "5000 of 20000 rows read (25%): 4990 accepted, 7 duplicates, 3 rejected" in fragment
    assert "Rejected rows: the first 1 of 3" in fragment and '<td data-label="Line">12</td>' in fragment
    assert 'hx-trigger="every 1s"' in fragment


def test_a_broken_file_is_refused_with_its_line_and_column(workspace: Workspace, mark: Member) -> None:
    client = login(mark)
    broken = (EVENTS + '{"userId": "u9", event}\n').encode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url("imports"), history_upload(content=broken))
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REFUSED
    assert run.errors == [
        {"line": 5, "column": "18", "message": "not valid JSON: Expecting property name enclosed in double quotes"}
    ]
    page = client.get(url("import", run.pk)).content.decode()
    assert '<td data-label="Line">5</td><td data-label="Column">18</td>' in page
    assert "Fix the file where the problems below say" in page
    assert not UsageEvent.objects.exists()


def test_a_file_of_an_unknown_format_is_refused_by_the_form(workspace: Workspace, mark: Member) -> None:
    response = login(mark).post(url("imports"), history_upload(name="events.xlsx"))
    assert response.status_code == 400
    assert "events.xlsx: unknown format &#x27;.xlsx&#x27;; use .csv, .jsonl or .parquet" in response.content.decode()
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("who", ["carol", "vic"])
def test_it_requires_a_manager_to_upload_history(
    who: str, workspace: Workspace, request: pytest.FixtureRequest
) -> None:
    response = login(request.getfixturevalue(who)).post(url("imports"), history_upload())
    assert response.status_code == 403
    assert not ImportRun.objects.exists()


def test_outsider_gets_404_for_a_history_import(workspace: Workspace, mark: Member, olga: Member) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        login(mark).post(url("imports"), history_upload())
    run = ImportRun.objects.get()
    client = login(olga)
    assert client.get(url("import", run.pk)).status_code == 404
    assert client.get(url("import-progress", run.pk)).status_code == 404
    assert client.post(url("imports"), history_upload()).status_code == 404
    assert ImportRun.objects.count() == 1


def test_a_50_mb_upload_returns_once_stored_before_any_row_is_read(
    workspace: Workspace, mark: Member, settings: Any, django_assert_max_num_queries: Any
) -> None:
    line = "ev{:07d},u{},Signed In,2026-10-{:02d}T09:00:00Z,acct-1,{}\n"
    padding = "x" * 24
    rows = [line.format(i, i % 50, 1 + i % 28, padding) for i in range(660_000)]
    content = ("message_id,user_id,event,timestamp,account_id,note\n" + "".join(rows)).encode()
    assert 48 * 1024 * 1024 < len(content) <= settings.IMPORT_MAX_BYTES
    client = login(mark)
    client.get(url("imports"))  # the session and the member are looked up before the measured request
    with TestCase.captureOnCommitCallbacks(execute=False) as queued, django_assert_max_num_queries(12):
        response = client.post(url("imports"), history_upload(name="big.csv", content=content))
    assert response.status_code == 302
    run = ImportRun.objects.get()
    # The request stored the file whole and queued the run: not a row read, checked or written.
    assert (run.status, run.rows_total, run.rows_done) == (ImportStatus.QUEUED, 0, 0)
    assert (import_dir() / run.stored_file).stat().st_size == len(content)
    assert not UsageEvent.objects.exists()
    assert len(queued) == 1
