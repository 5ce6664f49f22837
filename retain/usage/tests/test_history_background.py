"""A history import whose worker process is killed with SIGKILL mid-import, then resumed by
`retain import resume` in another process: every row stored exactly once, and folded into daily usage.

The in-process crash tests (a chunk that never commits, a chunk written twice) are in test_history.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from retain.accounts.tests.test_import_background import kill_worker_mid_import
from retain.tests.processes import migrated_data_dir
from retain.usage.tests.test_faults import _env, _retain

pytestmark = [pytest.mark.embedded, pytest.mark.timeout(600)]

ROWS = 20_000
CHUNK = 20
SETUP = """
from pathlib import Path
from retain.accounts.imports.background import import_enqueue
from retain.accounts.services import account_create
from retain.tenancy.services import workspace_create
ws = workspace_create(name='Acme', slug='acme')
for n in range(5):
    account_create(workspace=ws, actor=None, via='test', name=f'Account {n}', external_id=f'acct-{n}')
path = Path('HISTORY')
with path.open('rb') as source:
    run = import_enqueue(workspace=ws, actor=None, kind='history', filename=path.name, source=source, dispatch=False)
print(run.pk)
"""


def _history(path: Path) -> None:
    """ROWS events over five accounts; every fourth has no messageId and no timestamp (a hashed id
    whose time is the upload's), so the resumed worker must come to the same ids for those too."""
    with path.open("w", encoding="utf-8") as out:
        out.write("message_id,user_id,event,timestamp,account_id\n")
        for i in range(ROWS):
            if i % 4 == 3:
                out.write(f",u{i},Report Viewed {i},,acct-{i % 5}\n")
            else:
                out.write(f"ev{i},u{i % 9},Signed In,2026-10-{1 + i % 28:02d}T09:00:00Z,acct-{i % 5}\n")


def test_a_history_worker_killed_with_sigkill_is_resumed_and_stores_every_row_once(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = _env(tmp_path)
    database = migrated_data_dir(tmp_path, tmp_path_factory.getbasetemp().parent)
    history = tmp_path / "history.csv"
    _history(history)
    run_id = int(_retain(env, "shell", "-c", SETUP.replace("HISTORY", str(history))).strip().splitlines()[-1])
    done_at_kill = kill_worker_mid_import(env, database, run_id, chunk=CHUNK, rows=ROWS)
    with sqlite3.connect(database) as db:
        (stored,) = db.execute("SELECT count(*) FROM usage_event").fetchone()
    assert stored == done_at_kill  # exactly the committed chunks: the one being written rolled back

    out = _retain(env, "import", "resume", str(run_id), "--workspace", "acme")
    assert f"resuming import {run_id} after row {done_at_kill}" in out
    assert f"history.csv: rows {ROWS}: accepted {ROWS}, duplicates 0, rejected 0" in out
    assert "into the daily usage of 5 accounts" in out
    with sqlite3.connect(database) as db:
        (events, distinct) = db.execute("SELECT count(*), count(DISTINCT message_id) FROM usage_event").fetchone()
        given = {row[0] for row in db.execute("SELECT message_id FROM usage_event WHERE message_id LIKE 'ev%'")}
        (folded,) = db.execute("SELECT sum(events) FROM usage_dailyaccountusage").fetchone()
        final = db.execute("SELECT status, rows_done, rows_created FROM accounts_importrun WHERE id = ?", (run_id,))
        outcome = final.fetchone()
    assert events == distinct == ROWS  # none lost, none twice
    assert given == {f"ev{i}" for i in range(ROWS) if i % 4 != 3}
    assert folded == ROWS  # the resumed run folded every event, the killed worker's included
    assert outcome == ("applied", ROWS, ROWS)  # the counts carried over from the killed worker's chunks
