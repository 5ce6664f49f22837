"""Background CSV imports: checkpointed chunks, resuming after a worker dies, the stalled-run sweep.

Two crash tests: one in this process (the worker "dies" with an exception in the middle of a chunk,
so that chunk's transaction never commits), and one with a real worker process killed with SIGKILL
while it writes, then a second process finishing the job from the checkpoint.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from retain.accounts.choices import ImportStatus
from retain.accounts.imports.background import import_dir, import_enqueue, import_process, imports_resume
from retain.accounts.imports.kinds import AccountImport
from retain.accounts.models import Account, ImportRun, TimelineEntry
from retain.config.schedule import SCHEDULE
from retain.tenancy.models import Workspace
from retain.tests.processes import migrated_data_dir
from retain.usage.tests.test_faults import READY_WITHIN, _env, _retain


class WorkerDied(BaseException):
    """Stands for the process ending: nothing after it runs, no handler catches it."""


def accounts_csv(n: int, bad_line: int | None = None) -> bytes:
    rows = ["External ID,Name,Employees"]
    for i in range(n):
        employees = "lots" if bad_line is not None and i + 2 == bad_line else str(10 + i)
        rows.append(f"crm-{i:04d},Company {i},{employees}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"  # type: ignore[attr-defined]


def enqueue(workspace: Workspace, data: bytes, **options: bool) -> ImportRun:
    return import_enqueue(
        workspace=workspace,
        actor=None,
        kind="accounts",
        filename="crm.csv",
        source=io.BytesIO(data),
        dispatch=False,
        **options,
    )


def test_a_worker_that_dies_mid_chunk_is_resumed_without_duplicates_or_losses(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = enqueue(workspace, accounts_csv(23))
    real_apply = AccountImport.apply
    calls = Counter[str]()

    def dying_apply(self: AccountImport, draft: object) -> str:
        calls["apply"] += 1
        if calls["apply"] == 13:  # the third row of the third chunk of five
            raise WorkerDied
        return real_apply(self, draft)  # type: ignore[arg-type]

    monkeypatch.setattr(AccountImport, "apply", dying_apply)
    with pytest.raises(WorkerDied):
        import_process(run.pk, chunk=5)
    run.refresh_from_db()
    assert (run.status, run.rows_done, run.rows_created) == (ImportStatus.RUNNING, 10, 10)
    assert Account.objects.count() == 10  # the two committed chunks, nothing of the third
    monkeypatch.setattr(AccountImport, "apply", real_apply)

    finished = import_process(run.pk, chunk=5)
    assert finished is not None
    assert (finished.status, finished.rows_done, finished.rows_created, finished.rows_total) == (
        ImportStatus.APPLIED,
        23,
        23,
        23,
    )
    ids = list(Account.objects.values_list("external_id", flat=True))
    assert sorted(ids) == [f"crm-{i:04d}" for i in range(23)]  # none lost, none twice
    assert TimelineEntry.objects.filter(kind="account_created").count() == 23
    assert not (import_dir() / run.stored_file).exists()
    assert import_process(run.pk) is None  # a late duplicate delivery of the task does nothing


def test_the_sweep_resumes_a_run_whose_worker_stopped_sending_heartbeats(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = enqueue(workspace, accounts_csv(8))
    real_apply = AccountImport.apply
    calls = Counter[str]()

    def dying_apply(self: AccountImport, draft: object) -> str:
        calls["apply"] += 1
        if calls["apply"] == 5:
            raise WorkerDied
        return real_apply(self, draft)  # type: ignore[arg-type]

    monkeypatch.setattr(AccountImport, "apply", dying_apply)
    with pytest.raises(WorkerDied):
        import_process(run.pk, chunk=3)
    monkeypatch.setattr(AccountImport, "apply", real_apply)
    assert imports_resume() == []  # its heartbeat is fresh: maybe the worker is only slow
    later = timezone.now() + dt.timedelta(minutes=6)
    assert imports_resume(now=later) == [run.pk]  # the task runs eagerly in tests
    run.refresh_from_db()
    assert (run.status, run.rows_created) == (ImportStatus.APPLIED, 8)
    assert Account.objects.count() == 8
    assert SCHEDULE["resume-imports"]["task"] == "retain.accounts.jobs.resume_imports"


def test_a_queued_run_nobody_picked_up_is_handed_out_again_but_not_every_minute(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed: list[int] = []
    monkeypatch.setattr("retain.accounts.imports.background._dispatch", handed.append)
    run = enqueue(workspace, accounts_csv(3))
    start = timezone.now()
    assert imports_resume(now=start) == []
    assert imports_resume(now=start + dt.timedelta(minutes=2)) == [run.pk]
    assert imports_resume(now=start + dt.timedelta(minutes=3)) == []  # handed out a minute ago
    assert imports_resume(now=start + dt.timedelta(minutes=8)) == [run.pk]
    assert handed == [run.pk, run.pk]


def test_a_file_with_a_bad_row_is_refused_whole_before_anything_is_written(workspace: Workspace) -> None:
    run = enqueue(workspace, accounts_csv(12, bad_line=9))
    finished = import_process(run.pk, chunk=5)
    assert finished is not None and finished.status == ImportStatus.REFUSED
    assert finished.errors == [{"line": 9, "column": "Employees", "message": "'lots' is not a whole number"}]
    assert not Account.objects.exists()


def test_a_partial_import_writes_the_good_rows_in_chunks_and_reports_the_bad_one(workspace: Workspace) -> None:
    run = enqueue(workspace, accounts_csv(12, bad_line=9), allow_partial=True)
    finished = import_process(run.pk, chunk=5)
    assert finished is not None
    assert (finished.status, finished.rows_created, finished.rows_rejected, finished.rows_done) == (
        ImportStatus.PARTIAL,
        11,
        1,
        11,
    )
    assert [e["line"] for e in finished.errors] == [9]


def test_a_dry_run_writes_nothing(workspace: Workspace) -> None:
    finished = import_process(enqueue(workspace, accounts_csv(7), dry_run=True).pk, chunk=3)
    assert finished is not None and (finished.status, finished.rows_created) == (ImportStatus.DRY_RUN, 7)
    assert not Account.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_without_being_queued(
    workspace: Workspace, settings: pytest.FixtureRequest
) -> None:
    settings.IMPORT_MAX_BYTES = 100  # type: ignore[attr-defined]
    run = enqueue(workspace, accounts_csv(50))
    assert run.status == ImportStatus.REFUSED and "over the import size limit" in run.errors[0]["message"]
    assert not any(import_dir().glob(f"{workspace.pk}/*"))


def test_the_cli_imports_and_resumes_an_interrupted_import(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.core.management import call_command

    path = tmp_path / "crm.csv"
    path.write_bytes(accounts_csv(6))
    call_command("import", "accounts", str(path), "--workspace", workspace.slug)
    assert "crm.csv: applied; 6 rows: 6 created" in capsys.readouterr().out
    run = enqueue(workspace, accounts_csv(9))
    real_apply = AccountImport.apply

    calls = Counter[str]()

    def dying_apply(self: AccountImport, draft: object) -> str:
        calls["apply"] += 1
        if calls["apply"] == 5:  # the first row of the third chunk of two
            raise WorkerDied
        return real_apply(self, draft)  # type: ignore[arg-type]

    monkeypatch.setattr(AccountImport, "apply", dying_apply)
    with pytest.raises(WorkerDied):
        import_process(run.pk, chunk=2)
    monkeypatch.setattr(AccountImport, "apply", real_apply)
    call_command("import", "resume", str(run.pk), "--workspace", workspace.slug)
    out = capsys.readouterr().out
    assert f"resuming import {run.pk} after row 4" in out and "9 rows: 3 created, 0 updated, 6 unchanged" in out


# A real worker process, killed -------------------------------------------------------------------

SETUP = """
import io
from retain.accounts.imports.background import import_enqueue
from retain.tenancy.services import workspace_create
ws = workspace_create(name='Acme', slug='acme')
rows = ['External ID,Name'] + [f'crm-{i:04d},Company {i}' for i in range(ROWS)]
run = import_enqueue(workspace=ws, actor=None, kind='accounts', filename='crm.csv',
                     source=io.BytesIO(('\\n'.join(rows) + '\\n').encode()), dispatch=False)
print(run.pk)
"""
WORKER = "from retain.accounts.imports.background import import_process; import_process({run}, chunk={chunk})"
ROWS = 600
CHUNK = 4


def _progress(database: Path, run_id: int) -> tuple[str, int]:
    with sqlite3.connect(database, timeout=30) as db:
        row = db.execute("SELECT status, rows_done FROM accounts_importrun WHERE id = ?", (run_id,)).fetchone()
    return str(row[0]), int(row[1])


def kill_worker_mid_import(env: dict[str, str], database: Path, run_id: int, *, chunk: int, rows: int) -> int:
    """Start a worker process on the run, SIGKILL it once ten chunks are committed; the rows done then."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "retain.cli", "shell", "-c", WORKER.format(run=run_id, chunk=chunk)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + READY_WITHIN
    try:
        while _progress(database, run_id)[1] < 10 * chunk:  # a few chunks committed, most still to go
            assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
            assert time.monotonic() < deadline, "the worker never committed its first chunks"
            time.sleep(0.01)
        os.killpg(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=60)
    status, done_at_kill = _progress(database, run_id)
    assert status == "running" and done_at_kill < rows, "the import finished before the kill: no crash tested"
    return done_at_kill


@pytest.mark.embedded
@pytest.mark.timeout(600)
def test_a_worker_killed_with_sigkill_is_resumed_by_another_without_duplicates(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = _env(tmp_path)
    database = migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    run_id = int(_retain(env, "shell", "-c", SETUP.replace("ROWS", str(ROWS))).strip().splitlines()[-1])
    done_at_kill = kill_worker_mid_import(env, database, run_id, chunk=CHUNK, rows=ROWS)
    with sqlite3.connect(database) as db:
        written = db.execute("SELECT count(*) FROM accounts_account").fetchone()[0]
    assert written == done_at_kill  # exactly the committed chunks: the one being written rolled back

    _retain(env, "import", "resume", str(run_id), "--workspace", "acme")
    with sqlite3.connect(database) as db:
        ids = [row[0] for row in db.execute("SELECT external_id FROM accounts_account")]
        created = db.execute("SELECT count(*) FROM accounts_timelineentry WHERE kind = 'account_created'").fetchone()
        final = db.execute("SELECT status, rows_done, rows_created FROM accounts_importrun WHERE id = ?", (run_id,))
        outcome = final.fetchone()
    assert sorted(ids) == [f"crm-{i:04d}" for i in range(ROWS)]  # none lost, none twice
    assert created == (ROWS,)
    assert outcome == ("applied", ROWS, ROWS)
