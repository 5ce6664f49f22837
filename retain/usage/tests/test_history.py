"""Historical events from CSV, JSON Lines and Parquet: checked as a file, validated like the API,
stored once, as a background import (accounts.imports.background) that resumes from its checkpoint."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import ImportStatus
from retain.accounts.imports.background import import_dir, import_enqueue, import_process, imports_resume
from retain.accounts.models import Account, ImportRun
from retain.lib.locks import exclusive
from retain.tenancy.models import Workspace
from retain.usage import history
from retain.usage.models import DailyAccountUsage, UsageEvent


class WorkerDied(BaseException):
    """Stands for the process ending: nothing after it runs, no handler catches it."""


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture
def initech(workspace: Workspace) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1"
    )


def enqueue(workspace: Workspace, path: Path, *, dry_run: bool = False) -> ImportRun:
    with path.open("rb") as source:
        return import_enqueue(
            workspace=workspace,
            actor=None,
            kind="history",
            filename=path.name,
            source=source,
            dry_run=dry_run,
            dispatch=False,
        )


def imported(workspace: Workspace, path: Path, **options: Any) -> ImportRun:
    run = import_process(enqueue(workspace, path, dry_run=options.pop("dry_run", False)).pk, **options)
    assert run is not None
    return run


def counts(run: ImportRun) -> tuple[int, int, int, int]:
    """Rows read, accepted, duplicates, rejected."""
    return run.rows_done, run.rows_created, run.rows_unchanged, run.rows_rejected


def reasons(run: ImportRun) -> list[str]:
    return [
        f"{run.filename}:{e['line']}{':' + str(e['column']) if e['column'] else ''}: {e['message']}" for e in run.errors
    ]


def test_a_csv_export_is_imported_and_a_second_import_adds_nothing(
    tmp_path: Path, workspace: Workspace, initech: Account
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id;event;timestamp;account_id;feature\n"
        "u1;Signed In;2026-10-01T09:00:00Z;acct-1;\n"
        "u1;Report Viewed;2026-10-01T09:05:00Z;acct-1;reports\n"
        "u2;;2026-10-01T09:06:00Z;acct-1;\n"
        "u2;Signed In;not-a-time;acct-1;\n",
        encoding="utf-8",
    )
    first = imported(workspace, path)
    assert (first.status, *counts(first)) == (ImportStatus.PARTIAL, 4, 2, 0, 2)
    assert reasons(first) == [
        "events.csv:4: event (the event name) is required for track",
        "events.csv:5: timestamp 'not-a-time' is not an ISO 8601 time",
    ]
    viewed = UsageEvent.objects.get(name="Report Viewed")
    assert (viewed.account, viewed.properties) == (initech, {"feature": "reports"})
    second = imported(workspace, path)
    assert counts(second)[1:3] == (0, 2)
    assert UsageEvent.objects.count() == 2
    assert not any((import_dir() / str(workspace.pk)).iterdir())  # the stored files go when the runs end


def test_json_lines_hold_calls_as_segment_sends_them(tmp_path: Path, workspace: Workspace, initech: Account) -> None:
    path = tmp_path / "events.jsonl"
    calls = [
        {
            "type": "track",
            "userId": "u1",
            "event": "Workflow Activated",
            "messageId": "x1",
            "context": {"groupId": "acct-1"},
        },
        {"type": "identify", "userId": "u1", "messageId": "x2"},
    ]
    path.write_text("\n".join(json.dumps(c) for c in calls) + "\n", encoding="utf-8")
    run = imported(workspace, path)
    assert counts(run) == (2, 1, 0, 1)
    assert "history import takes track, page and screen" in reasons(run)[0]
    assert UsageEvent.objects.get().account == initech


def test_a_broken_json_line_refuses_the_file_by_line_and_column_before_anything_is_stored(
    tmp_path: Path, workspace: Workspace
) -> None:
    path = tmp_path / "events.jsonl"
    good = json.dumps({"userId": "u1", "event": "Signed In", "messageId": "x1"})
    path.write_text(f"{good}\n{good}\n" + '{"userId": "u2", event: 1}\n[1, 2]\n', encoding="utf-8")
    run = imported(workspace, path)
    assert run.status == ImportStatus.REFUSED
    assert reasons(run) == [
        "events.jsonl:3:18: not valid JSON: Expecting property name enclosed in double quotes",
        "events.jsonl:4:1: not a JSON object (one call, {...}, a line)",
    ]
    assert not UsageEvent.objects.exists() and run.rows_done == 0


def test_a_csv_file_that_is_not_utf8_or_has_no_event_column_is_refused_by_line_and_column(
    tmp_path: Path, workspace: Workspace
) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("user_id,event\nu1,Signed In\nu2,Caf\xe9 Opened\n".encode("latin-1"))
    run = imported(workspace, latin)
    assert (run.status, reasons(run)) == (ImportStatus.REFUSED, ["latin.csv:3:7: not UTF-8 text (byte 0xe9)"])
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("user_id,timestamp\nu1,2026-10-01T09:00:00Z\n", encoding="utf-8")
    run = imported(workspace, nameless)
    assert reasons(run) == [
        "nameless.csv:1:1: no event column (event or event_name); the header names: user_id, timestamp"
    ]
    assert not UsageEvent.objects.exists()


def test_parquet_is_read_in_chunks(tmp_path: Path, workspace: Workspace, initech: Account) -> None:
    path = tmp_path / "events.parquet"
    table = pa.table(
        {
            "user_id": [f"u{i % 7}" for i in range(12_000)],
            "event": ["Signed In"] * 12_000,
            "timestamp": [f"2026-09-{1 + i % 28:02d}T10:{i % 60:02d}:{i % 59:02d}Z" for i in range(12_000)],
            "account_id": ["acct-1"] * 12_000,
            "message_id": [f"p{i}" for i in range(12_000)],
        }
    )
    pq.write_table(table, path, row_group_size=3000)
    ticks: list[tuple[int, int]] = []
    run = imported(workspace, path, progress=lambda done, total: ticks.append((done, total)))
    assert (run.status, *counts(run)) == (ImportStatus.APPLIED, 12_000, 12_000, 0, 0)
    assert ticks == [(5000, 12_000), (10_000, 12_000), (12_000, 12_000)]
    assert UsageEvent.objects.filter(account=initech).count() == 12_000


def test_a_dry_run_stores_nothing(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "events.csv"
    path.write_text("userId,event\nu1,Signed In\n", encoding="utf-8")
    run = imported(workspace, path, dry_run=True)
    assert (run.status, run.rows_created) == (ImportStatus.DRY_RUN, 1)
    assert not UsageEvent.objects.exists()


def test_an_unknown_format_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "events.xlsx"
    path.write_bytes(b"PK\x03\x04")
    run = imported(workspace, path)
    assert (run.status, reasons(run)) == (
        ImportStatus.REFUSED,
        ["events.xlsx:0: unknown format '.xlsx' (use .csv, .jsonl or .parquet)"],
    )


# Resuming: the checkpoint, and a chunk written twice -----------------------------------------------

HISTORY = "message_id,user_id,event,timestamp,account_id\n"


def history_csv(path: Path, rows: int) -> Path:
    """`rows` events; every third has neither a messageId nor a timestamp (its id is hashed, its time
    is the upload's), so a second reading must come to the same id for it."""
    lines = [HISTORY]
    for i in range(rows):
        if i % 3 == 2:
            lines.append(f",u{i},Report Viewed {i},,acct-1\n")
        else:
            lines.append(f"ev{i},u{i % 4},Signed In,2026-10-{1 + i % 28:02d}T09:00:00Z,acct-1\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_chunk_written_again_after_a_crash_adds_nothing(
    tmp_path: Path, workspace: Workspace, initech: Account
) -> None:
    path = history_csv(tmp_path / "events.csv", 9)
    run = enqueue(workspace, path)
    stored = tmp_path / "kept.csv"
    stored.write_bytes((import_dir() / run.stored_file).read_bytes())  # the runner deletes it at the end
    finished = import_process(run.pk, chunk=4)
    assert finished is not None and counts(finished) == (9, 9, 0, 0)
    # As if the checkpoint of every chunk had been lost: the whole file is written again, chunk by chunk.
    (import_dir() / run.stored_file).write_bytes(stored.read_bytes())
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING, rows_done=0, rows_created=0, rows_unchanged=0, finished_at=None
    )
    again = import_process(run.pk, chunk=4)
    assert again is not None and counts(again) == (9, 0, 9, 0)
    assert UsageEvent.objects.count() == 9


def test_a_worker_that_dies_mid_chunk_is_resumed_and_stores_every_row_once(
    tmp_path: Path, workspace: Workspace, initech: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = history_csv(tmp_path / "events.csv", 23)
    run = enqueue(workspace, path)
    real_store = history.events_store
    calls = Counter[str]()

    def dying_store(**kwargs: Any) -> history.Stored:
        calls["chunk"] += 1
        outcome = real_store(**kwargs)  # the chunk's events are written, uncommitted
        if calls["chunk"] == 3:
            raise WorkerDied
        return outcome

    monkeypatch.setattr(history, "events_store", dying_store)
    with pytest.raises(WorkerDied):
        import_process(run.pk, chunk=5)
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.rows_created) == (ImportStatus.RUNNING, 10, 10)
    assert UsageEvent.objects.count() == 10  # the two committed chunks, nothing of the third
    monkeypatch.setattr(history, "events_store", real_store)
    assert imports_resume() == []  # its heartbeat is fresh
    assert imports_resume(now=timezone.now() + dt.timedelta(minutes=6)) == [run.pk]  # eager in tests
    run.refresh_from_db()
    assert (run.status, *counts(run)) == (ImportStatus.APPLIED, 23, 23, 0, 0)
    assert UsageEvent.objects.count() == 23
    given = UsageEvent.objects.filter(message_id__startswith="ev").values_list("message_id", flat=True)
    assert sorted(given) == sorted(f"ev{i}" for i in range(23) if i % 3 != 2)


# The command ------------------------------------------------------------------------------------


def test_the_import_command_folds_what_it_imported(tmp_path: Path, workspace: Workspace, initech: Account) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,event,timestamp,account_id\nu1,Signed In,2026-10-01T09:00:00Z,acct-1\n"
        "u2,Signed In,2026-10-01T10:00:00Z,acct-1\nu2,Report Viewed,2026-10-02T10:00:00Z,acct-1\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import", "history", str(path), workspace=workspace.slug, stdout=out, stderr=io.StringIO())
    assert "events.csv: rows 3: accepted 3, duplicates 0, rejected 0" in out.getvalue()
    assert "folded 3 events into the daily usage of 1 account" in out.getvalue()
    assert sorted(DailyAccountUsage.objects.values_list("day", "events", "active_users")) == [
        (dt.date(2026, 10, 1), 2, 2),
        (dt.date(2026, 10, 2), 1, 1),
    ]
    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.note) == ("history", ImportStatus.APPLIED, out.getvalue().splitlines()[-1])


def test_the_command_hands_the_file_to_a_worker_with_background_and_refuses_a_broken_one(
    transactional_db: None, tmp_path: Path, workspace: Workspace, initech: Account
) -> None:
    path = history_csv(tmp_path / "events.csv", 6)
    out = io.StringIO()
    # --background queues the run and follows it; in tests the worker's task runs eagerly on commit.
    call_command("import", "events", str(path), "--background", workspace=workspace.slug, stdout=out)
    assert "queued; a worker writes it" in out.getvalue()
    assert "events.csv: rows 6: accepted 6, duplicates 0, rejected 0" in out.getvalue()
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"event": "Signed In"}\n{oops}\n', encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import", "history", str(broken), workspace=workspace.slug, stdout=io.StringIO())
    assert str(refused.value) == "broken.jsonl:2:2: not valid JSON: Expecting property name enclosed in double quotes"
    assert UsageEvent.objects.count() == 6


def test_a_second_import_into_the_same_workspace_meanwhile_is_refused_with_a_clear_message(
    tmp_path: Path, workspace: Workspace, other_workspace: Workspace, initech: Account
) -> None:
    if connection.vendor != "sqlite":
        # PostgreSQL's advisory locks are re-entrant within one session; the subprocess test in
        # test_import_beside_the_web.py holds the lock from another process on both databases.
        pytest.skip("one process cannot contend with itself for an advisory lock")
    path = tmp_path / "events.csv"
    path.write_text("user_id,event,account_id\nu1,Signed In,acct-1\n", encoding="utf-8")
    with exclusive(f"import-events-{workspace.pk}"):
        with pytest.raises(CommandError) as refused:
            call_command("import", "events", str(path), workspace=workspace.slug, stdout=io.StringIO())
        # A dry run writes nothing and another workspace is another lock: both go ahead.
        call_command("import", "events", str(path), workspace=workspace.slug, dry_run=True, stdout=io.StringIO())
        call_command("import", "events", str(path), workspace=other_workspace.slug, stdout=io.StringIO())
        # A worker finding the workspace busy leaves an upload queued for the sweep to hand out later.
        queued = enqueue(workspace, path)
        assert import_process(queued.pk) is None
        queued.refresh_from_db()
        assert (queued.status, queued.rows_done) == (ImportStatus.QUEUED, 0) and queued.heartbeat_at is not None
    message = str(refused.value)
    assert message.startswith("events.csv: another events import into workspace 'acme' is running (held by process")
    assert "nothing was written" in message
    assert not UsageEvent.objects.filter(workspace=workspace).exists()
    call_command("import", "events", str(path), workspace=workspace.slug, stdout=io.StringIO())
    assert UsageEvent.objects.filter(workspace=workspace).count() == 1


def test_resuming_while_another_import_holds_the_workspace_leaves_the_run_as_it_was(
    tmp_path: Path, workspace: Workspace, initech: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("one process cannot contend with itself for an advisory lock")
    run = enqueue(workspace, history_csv(tmp_path / "events.csv", 8))
    real_store = history.events_store

    def dying_store(**kwargs: Any) -> history.Stored:
        if UsageEvent.objects.exists():
            raise WorkerDied
        return real_store(**kwargs)

    monkeypatch.setattr(history, "events_store", dying_store)
    with pytest.raises(WorkerDied):
        import_process(run.pk, chunk=3)
    monkeypatch.setattr(history, "events_store", real_store)
    with exclusive(f"import-events-{workspace.pk}"), pytest.raises(CommandError) as refused:
        call_command("import", "resume", str(run.pk), workspace=workspace.slug, stdout=io.StringIO())
    assert str(refused.value).startswith(f"import {run.pk} was not resumed: another import into workspace 'acme'")
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.rows_created) == (ImportStatus.RUNNING, 3, 3)
    call_command("import", "resume", str(run.pk), workspace=workspace.slug, stdout=io.StringIO())
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.rows_created) == (ImportStatus.APPLIED, 8, 8)
    assert UsageEvent.objects.count() == 8
