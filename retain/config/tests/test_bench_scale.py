"""`retain bench scale`: PostgreSQL only, its fold-lag arithmetic, its report, and a small run end to end.

The end-to-end run (a migrated PostgreSQL database, gunicorn and wrk twice) takes minutes on a busy
2-core machine, so it is marked `bench` (make bench); the rest runs in the normal suite.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.config import bench_scale
from retain.config.bench_scale import BenchError, fold_lags


def test_sqlite_is_refused_with_the_reason() -> None:
    with pytest.raises(CommandError, match="runs on PostgreSQL only: it measures monthly event partitions"):
        call_command("bench", "scale", "--database", "sqlite", stdout=io.StringIO(), stderr=io.StringIO())


def test_a_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(CommandError, match=r"--postgres-url sqlite:… is not a PostgreSQL URL"):
        call_command("bench", "scale", "--postgres-url", "sqlite:///tmp/x.sqlite3", stdout=io.StringIO())


def test_too_short_a_history_is_refused_before_anything_is_created() -> None:
    with pytest.raises(CommandError, match="--days at least 35"):
        call_command("bench", "scale", "--days", "20", stdout=io.StringIO())


def test_a_probe_lags_until_the_first_fold_run_past_its_event() -> None:
    samples = [(10.0, 100), (11.0, 150), (12.0, 150), (13.0, 200)]
    # (ended at, watermark, events folded): the run ending at 11.5 is past 150 but not 200.
    runs = [(10.2, 90, 5), (11.5, 160, 70), (12.1, 160, 0), (14.0, 205, 45)]
    # The third sample's event was folded at 11.5 already: no lag at 12.0.
    assert fold_lags(samples, runs, since=90) == pytest.approx([1.5, 0.5, 0.0, 1.0])
    # A sample at or below the starting id is not an ingest-time event.
    assert fold_lags([(9.0, 90)], runs, since=90) == []


def test_an_event_never_folded_fails_the_run() -> None:
    with pytest.raises(BenchError, match="the fold never reached event 300 \\(watermark 205\\)"):
        fold_lags([(13.0, 300)], [(14.0, 205, 45)], since=90)


FIGURES: dict[str, Any] = {
    "accounts": 5000, "events": 2_000_000, "partitions": 7, "copy_s": 40.0, "checked": 200,
    "ingest_events_per_s": 900, "raw_ingest_events_per_s": 3000, "fold_lag_p95_s": 2.5, "rescore_s": 10.0,
    "raw_rescore_s": 3.0, "incr_fold_s": 0.5, "incr_rescore_s": 0.4, "raw_incr_rescore_s": 0.1, "incr_s": 0.9,
    "sweep_s": 70.0, "raw_scan_s": 0.2, "list_p95_ms": 300.0, "list_requests": 90, "drop_s": 0.5,
    "raw_delete_s": 4.0,
}  # fmt: skip


def test_the_report_states_every_target_and_reference_and_the_last_line_the_figures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figures = dict(FIGURES)
    bench_scale.judge(figures)
    seen: dict[str, Any] = {}

    def fake(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return figures

    monkeypatch.setattr(bench_scale, "run_scale_bench", fake)
    out = io.StringIO()
    call_command("bench", "scale", "--accounts", "5000", "--events", "2000000", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert seen["accounts"] == 5000 and seen["days"] == 180 and seen["ingest_seconds"] == 60
    assert "sweep_s=70.0 (target <= 60: the minutely playbook sweep ends within its minute) NOT MET" in lines[5]
    assert "rescore_s=10.0 (target <= 1800" in lines[3] and lines[3].endswith(
        "met; raw 3.0 (one INSERT … SELECT over the same rollups)"
    )
    assert figures["targets_met"] == "6/7"
    assert lines[-1].startswith("accounts=5000 events=2000000 partitions=7 ingest_events_per_s=900 ")
    assert lines[-1].endswith("drop_s=0.5 raw_delete_s=4.0 targets_met=6/7")


def _postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.mark.bench
def test_a_small_run_end_to_end_gives_every_figure_and_passes_its_checks() -> None:
    if not _postgres_reachable():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    out = io.StringIO()
    call_command("bench", "scale", "--accounts", "200", "--events", "20000", "--days", "60", "--ingest-seconds",
                 "5", stdout=out, stderr=io.StringIO())  # fmt: skip
    lines = out.getvalue().splitlines()
    last = dict(item.split("=", 1) for item in lines[-1].split())
    assert list(last) == list(bench_scale.FIGURES)
    assert last["accounts"] == "200" and int(last["events"]) >= 20000 and int(last["partitions"]) >= 2
    for name in bench_scale.FIGURES[3:-1]:
        assert float(last[name]) > 0, name
    assert re.fullmatch(r"\d/7", last["targets_met"])
    # The bench raises on any failed check, so reaching the report means they passed.
    assert lines[-2].startswith("Checked: health scores equal to the raw reference on 200 accounts")
    print(out.getvalue())
