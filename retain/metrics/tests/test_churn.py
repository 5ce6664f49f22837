"""The churn pipeline trains on any table: the telco reference data and small hand-made tables."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retain.metrics import churn

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_churn")

TELCO = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "churn" / "telco_customer_churn.csv"


def _telco() -> churn.Table:
    if not TELCO.exists():
        pytest.fail(f"the reference data {TELCO} is missing (the shared folder sits beside the checkout)")
    return churn.read_table(TELCO)


@pytest.fixture(scope="module")
def telco() -> churn.Table:
    return _telco()


@pytest.fixture(scope="module")
def trained(telco: churn.Table) -> churn.TrainingResult:
    return churn.train(telco, target="Churn", positive="Yes", id_column="customerID")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _synthetic(rows: int = 300, seed: int = 1) -> churn.Table:
    """Churn driven by low usage and a monthly plan, with blanks in both kinds of column."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(rows):
        usage = rng.uniform(0, 10)
        plan = rng.choice(["monthly", "annual"])
        risk = 2.0 - 0.6 * usage + (1.5 if plan == "monthly" else -1.0)
        churned = rng.uniform() < 1 / (1 + math.exp(-risk))
        lines.append(
            [
                f"c{i}",
                "" if i % 17 == 0 else f"{usage:.2f}",
                "" if i % 23 == 0 else str(plan),
                "yes" if churned else "no",
            ]
        )
    return churn.Table(columns=["id", "usage", "plan", "churned"], rows=lines, source="synthetic.csv")


def test_telco_has_the_published_churn_rate(telco: churn.Table) -> None:
    y = churn.labels(telco, "Churn", "Yes")
    assert (len(y), int(y.sum())) == (7043, 1869)
    assert round(100 * y.mean(), 2) == 26.54


def test_telco_churn_by_contract_matches_the_known_rates(telco: churn.Table) -> None:
    rates = churn.positive_rates(telco, "Churn", "Yes", by="Contract")
    assert {contract: round(100 * rate, 2) for contract, (_, rate) in rates.items()} == {
        "Month-to-month": 42.71,
        "One year": 11.27,
        "Two year": 2.83,
    }


def test_the_blank_total_charges_stay_a_number_column_with_eleven_missing(telco: churn.Table) -> None:
    features, dropped = churn.features_of(telco, target="Churn", id_column="customerID")
    by_name = {feature.name: feature for feature in features}
    assert by_name["TotalCharges"].kind == churn.NUMERIC
    assert by_name["TotalCharges"].blanks == 11
    assert by_name["tenure"].kind == churn.NUMERIC
    assert by_name["Contract"].kind == churn.CATEGORICAL
    assert dropped == {"customerID": "the id column"}
    matrix = churn.feature_matrix(telco, features)
    column = [feature.name for feature in features].index("TotalCharges")
    assert sum(1 for value in matrix[:, column] if math.isnan(value)) == 11


def test_telco_reaches_the_reference_auc(trained: churn.TrainingResult) -> None:
    assert trained.auc >= 0.82
    assert trained.folds == 5
    assert {score.name for score in trained.candidates} == set(churn.CANDIDATES)
    assert trained.model == max(trained.candidates, key=lambda score: score.auc).name
    assert 0.75 < trained.accuracy < 0.9
    assert trained.summary() == f"auc={trained.auc:.4f} accuracy={trained.accuracy:.4f} folds=5 model={trained.model}"


def test_the_kept_model_is_refitted_and_predicts_probabilities(
    trained: churn.TrainingResult, telco: churn.Table
) -> None:
    sample = churn.Table(columns=telco.columns, rows=telco.rows[:50], source="sample")
    probabilities = churn.predict(trained, sample)
    assert probabilities.shape == (50,)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_a_table_with_blanks_of_both_kinds_trains() -> None:
    result = churn.train(
        _synthetic(), target="churned", positive="yes", id_column="id", candidates=["logistic_regression"]
    )
    assert result.auc > 0.75
    kinds = {feature.name: (feature.kind, feature.blanks) for feature in result.features}
    assert kinds == {"usage": (churn.NUMERIC, 18), "plan": (churn.CATEGORICAL, 14)}


def test_a_text_column_unique_in_every_row_is_left_out_as_an_identifier() -> None:
    result = churn.train(_synthetic(), target="churned", positive="yes", candidates=["logistic_regression"])
    assert result.dropped == {"id": "a different text in every row (an identifier)"}


def test_unseen_levels_blanks_and_text_in_a_number_column_are_tolerated_at_prediction() -> None:
    result = churn.train(_synthetic(), target="churned", positive="yes", id_column="id", candidates=["random_forest"])
    fresh = churn.Table(
        columns=["id", "usage", "plan", "churned"],
        rows=[["x", "", "weekly", ""], ["y", "n/a", "monthly", ""], ["z", "9", "annual", ""]],
    )
    blank_usage_unknown_plan, unreadable_usage, high_usage_annual = churn.predict(result, fresh)
    assert 0 <= high_usage_annual < blank_usage_unknown_plan <= 1
    assert 0 <= unreadable_usage <= 1


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "2.5", " ", "-3e2"], churn.NUMERIC),
        (["1", "two"], churn.CATEGORICAL),
        (["", " "], churn.CATEGORICAL),
        (["1", "inf"], churn.CATEGORICAL),
    ],
)
def test_a_column_is_numeric_when_every_non_blank_value_is_a_number(values: list[str], kind: str) -> None:
    assert churn.column_kind(values) == kind


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(churn.ChurnDataError, match="no such file"):
        churn.read_table(tmp_path / "absent.csv")


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    table = churn.read_table(_write(tmp_path / "t.csv", "a,b\n1,yes\n2,no\n"))
    with pytest.raises(churn.ChurnDataError, match="no column 'churn'"):
        churn.train(table, target="churn", positive="yes")
    with pytest.raises(churn.ChurnDataError, match="no column 'key'"):
        churn.train(table, target="b", positive="yes", id_column="key")


def test_a_target_with_one_class_is_refused(tmp_path: Path) -> None:
    table = churn.read_table(_write(tmp_path / "t.csv", "a,b\n1,yes\n2,yes\n"))
    with pytest.raises(churn.ChurnDataError, match="one value only"):
        churn.train(table, target="b", positive="yes")
    with pytest.raises(churn.ChurnDataError, match="no row has b = 'no'"):
        churn.train(table, target="b", positive="no")


def test_too_few_positives_for_five_folds_are_refused(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'yes' if i < 3 else 'no'}\n" for i in range(40))
    table = churn.read_table(_write(tmp_path / "t.csv", "a,b\n" + rows))
    with pytest.raises(churn.ChurnDataError, match="3 row"):
        churn.train(table, target="b", positive="yes")


def test_a_ragged_row_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(churn.ChurnDataError, match=":3: 3 values for 2 columns"):
        churn.read_table(_write(tmp_path / "t.csv", "a,b\n1,yes\n2,no,extra\n"))


def test_an_unknown_model_is_refused() -> None:
    with pytest.raises(churn.ChurnDataError, match="unknown model 'svm'"):
        churn.train(_synthetic(), target="churned", positive="yes", candidates=["svm"])


def test_churn_imports_without_django() -> None:
    code = "import sys, retain.metrics.churn; assert 'django' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_a_calibrated_model_predicts_rates_close_to_what_happens_on_held_out_rows() -> None:
    """Trained on the first 1,500 rows, scored on 1,500 it never saw: each well-filled bin's observed
    churn rate is within 10 points of its mean prediction."""
    table = _synthetic(rows=3000, seed=3)
    earlier = churn.Table(columns=table.columns, rows=table.rows[:1500], source="earlier")
    later = churn.Table(columns=table.columns, rows=table.rows[1500:], source="later")
    result = churn.train(
        earlier, target="churned", positive="yes", id_column="id", candidates=["logistic_regression"], calibrate=True
    )
    assert result.calibrated
    held_out = churn.evaluate(result, later, target="churned", positive="yes")
    assert held_out.rows == 1500
    assert held_out.auc is not None and held_out.auc > 0.8
    assert 0 < held_out.brier < 0.25
    assert sum(b.count for b in held_out.calibration) == 1500
    for b in held_out.calibration:
        assert b.lower <= b.mean_predicted <= b.upper
        if b.count >= 100:
            assert abs(b.observed_rate - b.mean_predicted) < 0.10, b


def test_the_calibration_table_bins_by_predicted_probability() -> None:
    table = churn.calibration_table([0, 0, 1, 1, 1], [0.05, 0.15, 0.12, 0.95, 1.0], bins=10)
    assert [(b.lower, b.count, b.observed_rate) for b in table] == [(0.0, 1, 0.0), (0.1, 2, 0.5), (0.9, 2, 1.0)]
    assert table[1].mean_predicted == pytest.approx(0.135)
    with pytest.raises(ValueError, match="between 0 and 1"):
        churn.calibration_table([1], [1.2])
    with pytest.raises(ValueError, match="1 labels for 2 probabilities"):
        churn.calibration_table([1], [0.2, 0.3])


def test_held_out_rows_of_one_class_have_no_auc() -> None:
    result = churn.train(
        _synthetic(), target="churned", positive="yes", id_column="id", candidates=["logistic_regression"]
    )
    stayed = churn.Table(columns=["id", "usage", "plan", "churned"], rows=[["a", "9", "annual", "no"]] * 3)
    assert churn.evaluate(result, stayed, target="churned", positive="yes").auc is None


def test_top_reasons_name_the_features_that_raise_a_rows_risk() -> None:
    result = churn.train(
        _synthetic(), target="churned", positive="yes", id_column="id", candidates=["logistic_regression"]
    )
    rows = churn.Table(
        columns=["id", "usage", "plan", "churned"],
        rows=[["low", "0.5", "monthly", ""], ["safe", "9.5", "annual", ""]],
    )
    risky, safe = churn.top_reasons(result, rows, limit=3)
    assert {reason.feature: reason.value for reason in risky} == {"usage": "0.5", "plan": "monthly"}
    assert all(reason.effect > 0 for reason in risky)
    assert [reason.effect for reason in risky] == sorted((reason.effect for reason in risky), reverse=True)
    assert safe == []
