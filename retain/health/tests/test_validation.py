"""The churn-prediction statistics: AUC with ties, the clustered bootstrap, band rates, lift, fitted weights."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import roc_auc_score

from retain.health.validation import (
    BandRate,
    band_rates,
    bootstrap_auc,
    fit_weights,
    lift,
    normalised,
    roc_auc,
)


@pytest.mark.parametrize(
    ("scores", "labels", "expected"),
    [
        ([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1.0),  # perfect ranking
        ([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0.0),  # reversed
        ([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5),  # all tied
        ([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1], 0.875),  # one tie between classes counts one half
        ([1, 2, 3], [1, 0, 1], 0.5),
        ([3, 1, 2, 2, 5], [1, 0, 0, 1, 1], 5.5 / 6),  # 2 vs 2 is the one tie
    ],
)
def test_auc_matches_the_table(scores: list[float], labels: list[int], expected: float) -> None:
    assert roc_auc(scores, labels) == pytest.approx(expected)


def test_auc_is_none_without_both_classes() -> None:
    assert roc_auc([0.1, 0.2], [0, 0]) is None
    assert roc_auc([0.1, 0.2], [1, 1]) is None
    assert roc_auc([], []) is None


def test_auc_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        roc_auc([0.1, 0.2], [1])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_auc_agrees_with_scikit_learn_on_random_data_with_ties(seed: int) -> None:
    rng = random.Random(seed)
    scores = [rng.randint(0, 20) for _ in range(500)]  # many ties
    labels = [int(rng.random() < 0.1 + s / 40) for s in scores]
    assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    rng = random.Random(7)
    accounts = list(range(200))
    scores, labels, clusters = [], [], []
    for account in accounts:
        risk = rng.random()
        churned = int(rng.random() < risk * 0.6)
        for _ in range(4):  # four snapshots per account
            scores.append(risk + rng.gauss(0, 0.2))
            labels.append(churned)
            clusters.append(account)
    estimate = roc_auc(scores, labels)
    interval = bootstrap_auc(scores, labels, clusters, resamples=300)
    assert interval is not None and estimate is not None
    assert interval.low < estimate < interval.high
    assert interval.low > 0.5
    assert interval.resamples == 300
    assert bootstrap_auc(scores, labels, clusters, resamples=300) == interval


def test_bootstrap_resamples_accounts_not_rows() -> None:
    # Every account repeated 20 times: a row bootstrap would think it had 20× the data.
    rng = random.Random(3)
    scores, labels, clusters = [], [], []
    for account in range(60):
        risk = rng.random()
        churned = int(rng.random() < risk)
        for _ in range(20):
            scores.append(risk)
            labels.append(churned)
            clusters.append(account)
    by_account = bootstrap_auc(scores, labels, clusters, resamples=300)
    by_row = bootstrap_auc(scores, labels, list(range(len(scores))), resamples=300)
    assert by_account is not None and by_row is not None
    assert (by_account.high - by_account.low) > 2 * (by_row.high - by_row.low)


def test_bootstrap_gives_none_without_both_classes() -> None:
    assert bootstrap_auc([0.1, 0.2], [0, 0], ["a", "b"], resamples=20) is None


def test_band_rates_count_every_band_in_order() -> None:
    rates = band_rates(
        ["red", "green", "red", "yellow", "green", "green", "blank"],
        [1, 0, 0, 1, 0, 1, 0],
        ["red", "yellow", "green"],
    )
    assert rates == [
        BandRate("red", 2, 1),
        BandRate("yellow", 1, 1),
        BandRate("green", 3, 1),
        BandRate("blank", 1, 0),
    ]
    assert rates[0].rate == 0.5
    assert BandRate("red", 0, 0).rate is None


def test_lift_is_red_over_green() -> None:
    rates = [BandRate("red", 10, 3), BandRate("green", 100, 5)]
    assert lift(rates) == pytest.approx(0.3 / 0.05)


def test_lift_is_none_when_green_never_churned_or_a_band_is_empty() -> None:
    assert lift([BandRate("red", 10, 3), BandRate("green", 100, 0)]) is None
    assert lift([BandRate("red", 0, 0), BandRate("green", 100, 2)]) is None
    assert lift([BandRate("green", 100, 2)]) is None


def test_fitted_weights_favour_the_measure_that_separates_churners() -> None:
    rng = random.Random(11)
    matrix, labels, clusters = [], [], []
    for account in range(400):
        signal = rng.uniform(0, 100)
        noise = rng.uniform(0, 100)
        churned = int(rng.random() < (1 - signal / 100) * 0.5)
        matrix.append([signal, noise if account % 5 else None])  # noise sometimes missing
        labels.append(churned)
        clusters.append(account)
    fitted = fit_weights(matrix, labels, clusters, ["signal", "noise"])
    assert fitted is not None
    assert sum(fitted.weights.values()) == pytest.approx(100)
    assert fitted.weights["signal"] > 80
    assert fitted.coefficients["signal"] < 0
    assert fitted.cv_auc is not None and fitted.cv_auc > 0.6
    assert fitted.rows == 400


def test_a_measure_that_goes_with_more_churn_gets_no_weight() -> None:
    rng = random.Random(5)
    matrix, labels = [], []
    for _ in range(300):
        backwards = rng.uniform(0, 100)
        matrix.append([backwards, rng.uniform(0, 100)])
        labels.append(int(rng.random() < backwards / 150))
    fitted = fit_weights(matrix, labels, list(range(300)), ["backwards", "noise"])
    assert fitted is not None
    assert fitted.weights["backwards"] == 0


def test_fitting_needs_both_classes() -> None:
    assert fit_weights([[1.0], [2.0]], [0, 0], [1, 2], ["x"]) is None


def test_normalised_weights_sum_to_100() -> None:
    assert normalised({"a": 1, "b": 3}) == {"a": 25.0, "b": 75.0}
    assert normalised({"a": 0}) == {"a": 0.0}
