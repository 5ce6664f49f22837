"""The revenue formulas reproduce the seeds' examples and hand-computed cases, and refuse impossible input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from retain.lib import formulas


def test_clv_reproduces_the_seed() -> None:
    """75% × $500 / 1% = $37,500."""
    assert formulas.clv(gross_margin=0.75, average_mrr=500, monthly_churn=0.01) == 37500


def test_eligible_churn_reproduces_the_seed() -> None:
    """$20,000 lost of $2,000,000 due = 1%."""
    assert formulas.eligible_churn(revenue_lost=20000, revenue_due=2000000) == 0.01


def test_cac_is_shown_both_ways_as_in_the_seed() -> None:
    """$1.00 spent per $1.15 of new ACV: $0.8696 per $1 of ACV, or $1.15 of ACV per $1 spent."""
    assert formulas.cac(spend=1.00, new_acv=1.15) == pytest.approx(0.8696, abs=5e-5)
    assert formulas.acv_per_dollar(spend=1.00, new_acv=1.15) == 1.15
    assert formulas.cac(spend=230_000, new_acv=264_500) == pytest.approx(1 / 1.15)


def test_crc_reproduces_the_seed() -> None:
    """$0.12 spent to retain $1.00 of ACV = 12%."""
    assert formulas.crc(cs_spend=0.12, retained_acv=1.00) == 0.12
    assert formulas.crc(cs_spend=120_000, retained_acv=1_000_000) == 0.12


def test_quota_attainment_reproduces_the_seed() -> None:
    """$1M of ARR at the start, $1.2M from the same accounts at year end: 120% NRR = 100% of a 120% target."""
    assert formulas.quota_attainment(start_arr=1_000_000, end_arr=1_200_000) == 1.0
    assert formulas.quota_attainment(start_arr=1_000_000, end_arr=1_200_000, target=1.0) == 1.2
    assert formulas.quota_attainment(start_arr=1_000_000, end_arr=900_000) == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("start", "expansion", "contraction", "churn", "reactivation", "grr", "nrr"),
    [
        # 10,000 at start; +1,500 upsell, −500 downsell, −1,000 churned: GRR 8,500/10,000, NRR 10,000/10,000.
        (10_000, 1_500, 500, 1_000, 0, 0.85, 1.0),
        # The same plus 300 won back by an account of the starting book.
        (10_000, 1_500, 500, 1_000, 300, 0.85, 1.03),
        # Nothing moved.
        (4_000, 0, 0, 0, 0, 1.0, 1.0),
        # Everything churned.
        (4_000, 0, 0, 4_000, 0, 0.0, 0.0),
        # Expansion never lifts GRR above 100%, and lifts NRR above it.
        (2_000, 1_000, 0, 0, 0, 1.0, 1.5),
    ],
)
def test_gross_and_net_revenue_retention_by_hand(
    start: int, expansion: int, contraction: int, churn: int, reactivation: int, grr: float, nrr: float
) -> None:
    assert formulas.gross_revenue_retention(start, contraction, churn) == pytest.approx(grr)
    assert formulas.net_revenue_retention(start, expansion, contraction, churn, reactivation) == pytest.approx(nrr)


def test_mrr_churn_is_one_minus_grr() -> None:
    assert formulas.mrr_churn_rate(start_mrr=10_000, churned_mrr=1_000, downsell=500) == pytest.approx(0.15)
    grr = formulas.gross_revenue_retention(10_000, 500, 1_000)
    assert grr is not None
    assert formulas.mrr_churn_rate(10_000, 1_000, 500) == pytest.approx(1 - grr)


def test_logo_churn_counts_accounts_not_revenue() -> None:
    """12 of 200 accounts active at the start were gone at the end: 6%."""
    assert formulas.logo_churn_rate(accounts_at_start=200, churned_accounts=12) == 0.06


def test_ledger_decimals_are_accepted() -> None:
    assert formulas.net_revenue_retention(Decimal("1000.00"), Decimal("100.00"), Decimal("0"), Decimal("50.00")) == 1.05
    assert formulas.clv(Decimal("0.75"), Decimal("500"), Decimal("0.01")) == 37500


@pytest.mark.parametrize(
    "undefined",
    [
        lambda: formulas.clv(0.75, 500, 0),
        lambda: formulas.eligible_churn(0, 0),
        lambda: formulas.cac(100, 0),
        lambda: formulas.acv_per_dollar(0, 100),
        lambda: formulas.crc(100, 0),
        lambda: formulas.gross_revenue_retention(0, 0, 0),
        lambda: formulas.net_revenue_retention(0, 0, 0, 0),
        lambda: formulas.logo_churn_rate(0, 0),
        lambda: formulas.mrr_churn_rate(0, 0),
        lambda: formulas.quota_attainment(0, 100),
    ],
)
def test_a_zero_denominator_leaves_the_measure_undefined(undefined: object) -> None:
    assert undefined() is None  # type: ignore[operator]  # the parameter is a lambda, typed object by pytest's parametrize


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: formulas.cac(-1, 100), "spend"),
        (lambda: formulas.crc(-0.12, 1), "cs_spend"),
        (lambda: formulas.acv_per_dollar(1, -1.15), "new_acv"),
        (lambda: formulas.clv(1.5, 500, 0.01), "gross_margin"),
        (lambda: formulas.clv(0.75, 500, 2), "monthly_churn"),
        (lambda: formulas.clv(0.75, float("nan"), 0.01), "average_mrr"),
        (lambda: formulas.eligible_churn("20000", 2_000_000), "revenue_lost"),  # type: ignore[arg-type]  # a string on purpose: the formula must refuse it
        (lambda: formulas.gross_revenue_retention(100, 60, 50), "cannot exceed start_mrr"),
        (lambda: formulas.net_revenue_retention(100, 10, 60, 60), "cannot exceed"),
        (lambda: formulas.logo_churn_rate(10, 11), "churned_accounts"),
        (lambda: formulas.mrr_churn_rate(100, True), "churned_mrr"),
        (lambda: formulas.quota_attainment(100, 120, target=0), "target"),
    ],
)
def test_impossible_input_is_refused_by_name(call: object, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        call()  # type: ignore[operator]  # the parameter is a lambda, typed object by pytest's parametrize


def test_a_yearly_target_is_prorated_over_the_days_of_the_period() -> None:
    assert formulas.prorated_target(1.2, 365) == pytest.approx(1.2)
    assert formulas.prorated_target(1.2, 91) == pytest.approx(1 + 0.2 * 91 / 365)  # a quarter: 105.0%
    assert formulas.prorated_target(1.2, 730) == pytest.approx(1.4)
    assert formulas.prorated_target(0.9, 73) == pytest.approx(0.98)  # a shrinking target shrinks as evenly
    assert formulas.prorated_target(1.5, 30, target_days=60) == pytest.approx(1.25)
    for bad in ((0, 10, 365), (1.2, 0, 365), (1.2, 10, 0)):
        with pytest.raises(ValueError):
            formulas.prorated_target(*bad)
