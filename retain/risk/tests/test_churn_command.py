"""`retain churn train` reports every candidate and ends with the summary line; bad input stops it in one line."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

TELCO = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "churn" / "telco_customer_churn.csv"
SUMMARY = re.compile(r"^auc=(\d\.\d{4}) accuracy=(\d\.\d{4}) folds=5 model=(\w+)$")


def _run(*args: str) -> list[str]:
    out = StringIO()
    call_command("churn", "train", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_trains_on_telco_and_ends_with_the_summary_line() -> None:
    if not TELCO.exists():
        pytest.fail(f"the reference data {TELCO} is missing (the shared folder sits beside the checkout)")
    lines = _run("--csv", str(TELCO), "--target", "Churn", "--positive", "Yes", "--id", "customerID",
                 "--model", "logistic_regression")  # fmt: skip
    found = SUMMARY.match(lines[-1])
    assert found, lines[-1]
    assert float(found.group(1)) >= 0.82
    assert found.group(3) == "logistic_regression"
    assert any(line.strip().startswith("logistic_regression: auc=") for line in lines)
    assert "1869 of 7043 rows are Churn = Yes (26.54%)" in lines
    assert "left out customerID: the id column" in lines


def test_it_compares_every_candidate_by_default(tmp_path: Path) -> None:
    rows = "".join(f"{i % 7},{'a' if i % 3 else 'b'},{'yes' if i % 7 < 2 else 'no'}\n" for i in range(60))
    (tmp_path / "t.csv").write_text("uses,plan,left\n" + rows)
    lines = _run("--csv", str(tmp_path / "t.csv"), "--target", "left", "--positive", "yes")
    reported = [line.split(":")[0].strip() for line in lines if ": auc=" in line]
    assert reported == ["logistic_regression", "gradient_boosting", "random_forest"]
    assert SUMMARY.match(lines[-1])


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--target", "Churn", "--positive", "Yes"], "no such file"),
        ("a,b\n1,yes\n2,no\n", ["--target", "Churn", "--positive", "yes"], "no column 'Churn'"),
        ("a,b\n1,yes\n2,no\n", ["--target", "b", "--positive", "yes", "--id", "key"], "no column 'key'"),
        ("a,b\n1,yes\n2,yes\n", ["--target", "b", "--positive", "yes"], "one value only"),
    ],
)
def test_bad_input_stops_with_one_clear_line(
    tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message) as raised:
        _run("--csv", str(path), *args)
    assert "\n" not in str(raised.value)
