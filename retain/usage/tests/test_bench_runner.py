"""`retain bench ingest`: the runner measures Retain and both references, and trusts no reference blindly.

The small end-to-end run (a few thousand events through gunicorn, uvicorn and wrk, three migrated
databases) takes a minute or more on a busy 2-core machine, so it is marked `bench`; the checks of
a reference's stored rows run in the normal suite.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command

from retain.usage.bench.runner import BenchError, Store, WrkResult, _check_reference


def _result(accepted: int, non2xx: int = 0) -> WrkResult:
    return WrkResult(requests=1, acked=1, accepted=accepted, duplicates=0, non2xx=non2xx, errors=0, seconds=1.0,
                     p50_ms=1.0, p99_ms=1.0)  # fmt: skip


def _store(tmp_path: Path, message_ids: list[str]) -> Store:
    store = Store("sqlite", tmp_path, "raw", "")
    with sqlite3.connect(store.path) as db:
        db.execute("CREATE TABLE usage_event (message_id TEXT)")
        db.executemany("INSERT INTO usage_event VALUES (?)", [(m,) for m in message_ids])
    return store


def test_a_reference_that_stored_what_it_acknowledged_passes(tmp_path: Path) -> None:
    _check_reference("raw", _result(accepted=3), _store(tmp_path, ["a", "b", "c"]))


def test_a_reference_that_lost_rows_fails_the_run(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="the raw reference acknowledged 3 rows but stored 2"):
        _check_reference("raw", _result(accepted=3), _store(tmp_path, ["a", "b"]))


def test_a_reference_that_stored_a_row_twice_fails_the_run(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match=r"stored 3 \(2 distinct\)"):
        _check_reference("raw_asgi", _result(accepted=3), _store(tmp_path, ["a", "b", "b"]))


def test_a_reference_that_answered_errors_fails_the_run(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="answered 1 non-2xx"):
        _check_reference("raw", _result(accepted=2, non2xx=1), _store(tmp_path, ["a", "b"]))


def test_the_reference_parses_with_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference must use the parser Retain uses, or the ratio flatters Retain."""
    from retain.usage.bench import raw_app

    parsed: list[bytes] = []
    real = orjson.loads

    def loads(raw: bytes) -> object:
        parsed.append(raw)
        return real(raw)

    monkeypatch.setattr(raw_app.orjson, "loads", loads)
    monkeypatch.setattr(raw_app, "_connect", lambda: _Recorder())
    answer = orjson.loads(raw_app.store_batch(b'{"batch": [{"messageId": "m1", "event": "E", "userId": 7}]}'))
    assert parsed and answer == {"success": True, "accepted": 1, "duplicates": 0}


class _Recorder:
    """Stands in for the sqlite3 connection: records the rows executemany gets."""

    rowcount = 0

    def execute(self, sql: str) -> None:
        pass

    def executemany(self, sql: str, rows: list[tuple[object, ...]]) -> _Recorder:
        assert rows[0][1:5] == ("m1", "track", "E", "7")
        self.rowcount = len(rows)
        return self


@pytest.mark.bench
@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (Debian package)")
def test_a_small_run_prints_both_references_and_loses_nothing() -> None:
    out = io.StringIO()
    call_command("bench", "ingest", "--events", "3000", "--connections", "4", stdout=out, stderr=io.StringIO())
    last = out.getvalue().splitlines()[-1]
    assert re.fullmatch(
        r"events_per_s=\d+ p50_ms=[\d.]+ p99_ms=[\d.]+ saturated_p99_ms=[\d.]+ half_rate_req_per_s=[\d.]+ "
        r"non_2xx=0 lost=0 duplicates=0 raw_events_per_s=\d+ ratio=[\d.]+ raw_asgi_events_per_s=\d+ ratio_asgi=[\d.]+",
        last,
    ), last
    figures = dict(item.split("=") for item in last.split())
    assert int(figures["events_per_s"]) > 0 and int(figures["raw_asgi_events_per_s"]) > 0
