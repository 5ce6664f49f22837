"""The formulas reproduce published reference values (../shared/data) and the seeds' examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from retain.lib import formulas

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "nps_reference.json"


def _reference() -> dict[str, list[dict[str, object]]]:
    if not REFERENCE.exists():
        pytest.fail(f"the reference data {REFERENCE} is missing (the shared folder sits beside the checkout)")
    return json.loads(REFERENCE.read_text())


@pytest.mark.parametrize("case", _reference()["nps"] if REFERENCE.exists() else [], ids=str)
def test_nps_matches_the_r_package_nps(case: dict[str, object]) -> None:
    assert formulas.nps(case["scores"]) == pytest.approx(100 * float(case["nps"]), abs=1e-6)  # type: ignore[arg-type]  # the cases come from JSON, typed object


@pytest.mark.parametrize("case", _reference()["variance"] if REFERENCE.exists() else [], ids=str)
def test_nps_variance_matches_the_r_package_nps(case: dict[str, object]) -> None:
    expected = 100**2 * float(case["variance"])  # type: ignore[arg-type]  # the cases come from JSON, typed object
    assert formulas.nps_variance(case["scores"]) == pytest.approx(expected, abs=1e-4)  # type: ignore[arg-type]  # the cases come from JSON, typed object


@pytest.mark.parametrize("case", _reference()["standard_error"] if REFERENCE.exists() else [], ids=str)
def test_nps_standard_error_matches_the_r_package_nps(case: dict[str, object]) -> None:
    expected = 100 * float(case["se"])  # type: ignore[arg-type]  # the cases come from JSON, typed object
    # The reference rounds to three decimals of the [-1, 1] scale.
    assert formulas.nps_standard_error(case["scores"]) == pytest.approx(expected, abs=0.05)  # type: ignore[arg-type]  # the cases come from JSON, typed object


def test_the_reference_file_has_every_table() -> None:
    data = _reference()
    assert {len(data["nps"]), len(data["variance"]), len(data["standard_error"])} >= {4, 5}


def test_no_answers_have_no_nps() -> None:
    assert formulas.nps([]) is None
    assert formulas.nps_standard_error([]) is None
    assert formulas.csat_share_satisfied([]) is None
    assert formulas.response_rate(0, 0) is None


@pytest.mark.parametrize(("score", "category"), [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                                 (9, "promoter"), (10, "promoter")])  # fmt: skip
def test_categories_follow_the_standard_bands(score: int, category: str) -> None:
    assert formulas.nps_category(score) == category


@pytest.mark.parametrize("bad", [-1, 11, "9", None, True, float("nan")])
def test_a_score_off_the_scale_is_refused_by_name(bad: object) -> None:
    with pytest.raises(ValueError, match="NPS score must be a number from 0 to 10"):
        formulas.nps([9, bad])  # type: ignore[list-item]  # a wrong type on purpose: the formula must refuse it


def test_csat_counts_answers_strictly_above_three_and_a_half() -> None:
    assert formulas.csat_share_satisfied([1, 3, 4, 5]) == 0.5
    with pytest.raises(ValueError, match="CSAT score"):
        formulas.csat_share_satisfied([6])


def test_response_rate() -> None:
    assert formulas.response_rate(30, 120) == 0.25


def test_formulas_import_without_django_or_a_database() -> None:
    code = "import sys, retain.lib.formulas as f; assert 'django' not in sys.modules; print(f.nps([10, 0, 9]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx(100 / 3)
