"""`retain bench playbooks`: the engine's (playbook, account) pairs equal the hand-written SQL's.

The smoke run builds 50 accounts in the test database and runs the bench's work there (both sides
must agree, or it raises); the full run at 10,000 accounts is marked `bench` (make bench).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command

from retain.playbooks import bench
from retain.playbooks.defaults import default_playbooks


def _result(out: str) -> dict[str, Any]:
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    figures: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return figures


@pytest.mark.django_db
def test_smoke_50_accounts_same_pairs_both_ways(capsys: pytest.CaptureFixture[str]) -> None:
    bench.work(50)
    figures = _result(capsys.readouterr().out)
    assert figures["accounts"] == 50
    assert figures["pairs"] > 0 and figures["enrolled"] >= figures["pairs"]
    # Data and event triggers both found something in 50 accounts.
    assert figures["per_playbook"].get("health-turned-red", 0) > 0
    assert {"champion-left", "detractor-follow-up", "advocacy-ask"} & set(figures["per_playbook"])
    assert set(figures["per_playbook"]) <= {d.key for d in default_playbooks()}
    assert figures["claimed"] == min(figures["enrolled"], 200) and figures["step_runs"] >= figures["claimed"] // 2
    assert figures["sweep_s"] >= figures["scan_s"] > 0 and figures["raw_s"] > 0


@pytest.mark.django_db
def test_a_difference_between_the_two_sides_fails_the_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bench._raw_enrol

    def one_more(sql: str, params: dict[str, Any]) -> tuple[float, set[tuple[str, int]]]:
        seconds, pairs = real(sql, params)
        return seconds, pairs | {("health-turned-red", -1)}

    monkeypatch.setattr(bench, "_raw_enrol", one_more)
    with pytest.raises(bench.BenchError, match=r"only raw: \[\('health-turned-red', -1\)\]"):
        bench.work(20)


def test_the_command_ends_with_the_figures_line(monkeypatch: pytest.MonkeyPatch) -> None:
    figures = {"accounts": 10, "sweep_s": 1.5, "raw_s": 0.01, "ratio": 100.0, "pairs": 4, "scan_s": 1.0,
               "steps_s": 0.5, "enrolled": 4, "claimed": 4, "step_runs": 5, "still_due": 0}  # fmt: skip
    seen: dict[str, Any] = {}

    def fake(**kwargs: Any) -> dict[str, Any]:
        seen.update(kwargs)
        return figures

    monkeypatch.setattr(bench, "run_playbooks_bench", fake)
    out = io.StringIO()
    call_command("bench", "playbooks", "--accounts", "10", stdout=out, stderr=io.StringIO())
    assert seen["accounts"] == 10 and seen["database"] == "sqlite"
    assert out.getvalue().splitlines()[-1] == "accounts=10 scan_s=1.0 raw_s=0.01 ratio=100.0 steps_s=0.5 sweep_s=1.5"


@pytest.mark.bench
def test_full_bench_10000_accounts() -> None:
    out = io.StringIO()
    call_command("bench", "playbooks", "--accounts", "10000", stdout=out, stderr=io.StringIO())
    last = out.getvalue().splitlines()[-1]
    figures = r"accounts=10000 scan_s=[\d.]+ raw_s=[\d.]+ ratio=[\d.]+ steps_s=[\d.]+ sweep_s=[\d.]+"
    assert re.fullmatch(figures, last), last
    print(out.getvalue())
