"""Historical events from CSV, JSON Lines and Parquet: validated like the API, imported once."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.lib.locks import exclusive
from retain.tenancy.models import Workspace
from retain.usage.history import HistoryFileError, import_events
from retain.usage.models import DailyAccountUsage, UsageEvent


@pytest.fixture
def initech(workspace: Workspace) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1"
    )


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
    first = import_events(workspace=workspace, path=path)
    assert (first.rows, first.accepted, first.duplicates, first.rejected) == (4, 2, 0, 2)
    assert first.first_reasons == [
        "events.csv:4: event (the event name) is required for track",
        "events.csv:5: timestamp 'not-a-time' is not an ISO 8601 time",
    ]
    viewed = UsageEvent.objects.get(name="Report Viewed")
    assert (viewed.account, viewed.properties) == (initech, {"feature": "reports"})
    second = import_events(workspace=workspace, path=path)
    assert (second.accepted, second.duplicates) == (0, 2)
    assert UsageEvent.objects.count() == 2


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
    path.write_text("\n".join(json.dumps(c) for c in calls) + "\n{broken\n", encoding="utf-8")
    result = import_events(workspace=workspace, path=path)
    assert (result.accepted, result.rejected) == (1, 2)
    assert "history import takes track, page and screen" in result.first_reasons[0]
    assert result.first_reasons[1].startswith("events.jsonl:3: not valid JSON")


def test_parquet_is_read_in_batches(tmp_path: Path, workspace: Workspace, initech: Account) -> None:
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
    ticks: list[int] = []
    result = import_events(workspace=workspace, path=path, progress=ticks.append)
    assert result.accepted == 12_000
    assert sum(ticks) == 12_000 and len(ticks) == 3
    assert UsageEvent.objects.filter(account=initech).count() == 12_000


def test_a_dry_run_stores_nothing(tmp_path: Path, workspace: Workspace) -> None:
    path = tmp_path / "events.csv"
    path.write_text("userId,event\nu1,Signed In\n", encoding="utf-8")
    assert import_events(workspace=workspace, path=path, dry_run=True).accepted == 1
    assert not UsageEvent.objects.exists()


def test_an_unknown_format_is_refused(tmp_path: Path, workspace: Workspace) -> None:
    with pytest.raises(HistoryFileError, match=r"unknown format '\.xlsx'"):
        import_events(workspace=workspace, path=tmp_path / "events.xlsx")


def test_the_import_command_folds_what_it_imported(tmp_path: Path, workspace: Workspace, initech: Account) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,event,timestamp,account_id\nu1,Signed In,2026-10-01T09:00:00Z,acct-1\n"
        "u2,Signed In,2026-10-01T10:00:00Z,acct-1\nu2,Report Viewed,2026-10-02T10:00:00Z,acct-1\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import", "events", str(path), workspace=workspace.slug, stdout=out, stderr=io.StringIO())
    assert "folded 3 events into the daily usage of 1 account" in out.getvalue()
    assert sorted(DailyAccountUsage.objects.values_list("day", "events", "active_users")) == [
        (dt.date(2026, 10, 1), 2, 2),
        (dt.date(2026, 10, 2), 1, 1),
    ]


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
    message = str(refused.value)
    assert message.startswith("events.csv: another events import into workspace 'acme' is running (held by process")
    assert "nothing was written" in message
    assert not UsageEvent.objects.filter(workspace=workspace).exists()
    call_command("import", "events", str(path), workspace=workspace.slug, stdout=io.StringIO())
    assert UsageEvent.objects.filter(workspace=workspace).count() == 1
