"""The sBG retention model reproduces Fader & Hardie (2007, 2010) on ../shared/data/retention."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

from retain.metrics.retention import SbgFit, clv_comparison, fit_sbg, fit_sbg_cohorts

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_retention")

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "retention" / "sbg_fader_hardie_2007.csv"


def _segment(name: str) -> list[int]:
    if not DATA.exists():
        pytest.fail(f"the reference data {DATA} is missing (the shared folder sits beside the checkout)")
    with DATA.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["year"]))
    return [int(row[name]) for row in rows]


@pytest.fixture(scope="module")
def regular() -> SbgFit:
    return fit_sbg(_segment("regular"))


@pytest.fixture(scope="module")
def high_end() -> SbgFit:
    return fit_sbg(_segment("high_end"))


def test_the_reference_cohorts_are_eight_years_of_a_thousand_customers() -> None:
    assert len(_segment("regular")) == len(_segment("high_end")) == 8
    assert _segment("regular")[0] == _segment("high_end")[0] == 1000


def test_it_reproduces_the_regular_segment(regular: SbgFit) -> None:
    assert round(regular.alpha, 3) == 0.704
    assert round(regular.beta, 3) == 1.182
    assert round(regular.log_likelihood, 2) == -1680.27


def test_it_reproduces_the_high_end_segment(high_end: SbgFit) -> None:
    assert round(high_end.alpha, 3) == 0.668
    assert round(high_end.beta, 3) == 3.806
    assert round(high_end.log_likelihood, 2) == -1611.16


def test_high_end_derl_after_seven_renewals_is_the_published_7_530(high_end: SbgFit) -> None:
    assert round(high_end.discounted_expected_residual_lifetime(0.10, renewals=7), 3) == 7.530


@pytest.mark.parametrize("discount", [0.0001, 0.05, 0.10, 0.25])
def test_del_is_one_plus_the_discounted_derl_of_a_new_customer(
    regular: SbgFit, high_end: SbgFit, discount: float
) -> None:
    for fit in (regular, high_end):
        derl = fit.discounted_expected_residual_lifetime(discount, renewals=0)
        assert fit.discounted_expected_lifetime(discount) == pytest.approx(1 + derl / (1 + discount), rel=1e-10)


def test_del_is_the_discounted_sum_of_survival(high_end: SbgFit) -> None:
    """DEL(d) = Σ S(t) / (1 + d)^t, summed far enough for the tail to vanish."""
    by_sum = sum(high_end.survival(t) / 1.1**t for t in range(2000))
    assert high_end.discounted_expected_lifetime(0.10) == pytest.approx(by_sum, rel=1e-6)


def test_survival_retention_and_churn_agree(regular: SbgFit) -> None:
    assert regular.survival(0) == 1
    for t in range(1, 12):
        assert regular.survival(t) == pytest.approx(regular.survival(t - 1) * regular.retention_rate(t))
        assert regular.churn_probability(t) == pytest.approx(regular.survival(t - 1) - regular.survival(t))
    # Retention rates rise with tenure: the customers who stay are the ones least likely to leave.
    rates = [regular.retention_rate(t) for t in range(1, 12)]
    assert rates == sorted(rates)


def test_expected_active_tracks_the_observed_cohort(regular: SbgFit) -> None:
    observed = _segment("regular")
    assert regular.expected_active(0) == 1000
    for t, count in enumerate(observed):
        assert regular.expected_active(t) == pytest.approx(count, abs=15)


def test_residual_value_is_value_per_period_times_derl(high_end: SbgFit) -> None:
    assert high_end.residual_value(1200.0, 0.10, renewals=7) == pytest.approx(1200 * 7.5296, rel=1e-4)


def test_one_cohort_fits_the_same_through_the_cohort_interface() -> None:
    alone = fit_sbg(_segment("high_end"))
    listed = fit_sbg_cohorts([_segment("high_end")])
    assert (alone.alpha, alone.beta) == pytest.approx((listed.alpha, listed.beta))


def test_cohorts_of_different_lengths_share_one_fit() -> None:
    """Later signing years are observed for fewer periods; their censored survivors still count."""
    full = _segment("regular")
    fit = fit_sbg_cohorts([full, full[:5], full[:3]])
    assert fit.alpha == pytest.approx(0.704, abs=0.1)
    assert fit.beta == pytest.approx(1.182, abs=0.2)


def test_a_cohort_nobody_left_still_fits() -> None:
    fit = fit_sbg([50, 50, 50])
    assert math.isfinite(fit.alpha) and math.isfinite(fit.beta)
    assert fit.retention_rate(1) > 0.99


@pytest.mark.parametrize(
    ("active", "message"),
    [
        ([1000], "at least one later period"),
        ([0, 0], "cohort size"),
        ([100, 120], "a cohort only shrinks"),
        ([100, -1], r"active\[1\]"),
        ([100, 90.5], r"active\[1\]"),
    ],
)
def test_impossible_cohorts_are_refused(active: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_sbg(active)


def test_impossible_periods_and_discounts_are_refused(regular: SbgFit) -> None:
    with pytest.raises(ValueError, match="discount"):
        regular.discounted_expected_lifetime(-0.1)
    with pytest.raises(ValueError, match="renewals"):
        regular.discounted_expected_residual_lifetime(0.1, renewals=-1)
    with pytest.raises(ValueError, match="at least 1"):
        regular.retention_rate(0)


def test_retention_imports_without_django() -> None:
    code = "import sys, retain.metrics.retention as r; assert 'django' not in sys.modules; r.fit_sbg([10, 6, 4])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_clv_is_shown_both_ways_with_the_difference_explained(high_end: SbgFit) -> None:
    compared = clv_comparison(high_end, gross_margin=0.75, average_mrr=500, monthly_churn=0.01, discount=0.10)
    assert compared.seed_clv == 37500
    per_year = 0.75 * 500 * 12
    assert compared.new_customer_clv == pytest.approx(per_year * high_end.discounted_expected_lifetime(0.10))
    assert compared.residual_clv == pytest.approx(per_year * high_end.discounted_expected_residual_lifetime(0.10, 3))
    assert compared.first_retention < compared.later_retention
    assert "37,500" in compared.explanation
    assert f"{compared.new_customer_clv:,.0f}" in compared.explanation
    assert "renewed 3 times" in compared.explanation


def test_a_book_that_never_churns_has_no_seed_clv(high_end: SbgFit) -> None:
    compared = clv_comparison(high_end, gross_margin=0.75, average_mrr=500, monthly_churn=0)
    assert compared.seed_clv is None
    assert "undefined" in compared.explanation
