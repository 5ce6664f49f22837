"""How well a score predicts churn: the statistics behind `retain health backtest` (pure, no Django).

- `roc_auc`: the probability that a churned account ranks as riskier than one that stayed, i.e.
  the Mann–Whitney U statistic divided by (positives × negatives); a tie counts one half. 1 is a
  perfect ranking, 0.5 a coin, 0 a perfectly reversed one.
- `bootstrap_auc`: a percentile interval for it. The rows of a backtest are account-snapshots, and
  the snapshots of one account are not independent draws (the same account is scored every month),
  so the bootstrap resamples *accounts* with replacement and keeps all of a drawn account's rows
  (a clustered bootstrap). Resampling rows instead would make the interval too narrow.
- `band_rates` and `lift`: churn rate per band with its counts, and red's rate over green's.
- `fit_weights`: a logistic regression of churn on the measure scores, turned into non-negative
  weights that sum to 100 like a scorecard's effective weights, with its own cross-validated AUC.

The AUC is computed once per resample from one sort of the scores: with the scores grouped into
their distinct values, a resample only changes each row's weight (how many times its account was
drawn), and the weighted Mann–Whitney sum is two `bincount`s and a cumulative sum.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240605
CONFIDENCE = 0.95
MIN_CHURNED = 30


class _Ranked:
    """Scores grouped into their distinct values (ascending), ready for weighted AUCs."""

    def __init__(self, scores: Sequence[float], labels: Sequence[bool | int]) -> None:
        if len(scores) != len(labels):
            raise ValueError(f"scores and labels differ in length ({len(scores)} and {len(labels)})")
        values = np.asarray(scores, dtype=float)
        if values.size and not np.all(np.isfinite(values)):
            raise ValueError("scores must be finite numbers")
        self.labels = np.asarray(labels, dtype=float)
        _, self.groups = np.unique(values, return_inverse=True)
        self.n_groups = int(self.groups.max()) + 1 if values.size else 0

    def auc(self, weights: NDArray[np.float64] | None = None) -> float | None:
        w = np.ones_like(self.labels) if weights is None else weights
        positive = np.bincount(self.groups, weights=w * self.labels, minlength=self.n_groups)
        negative = np.bincount(self.groups, weights=w * (1.0 - self.labels), minlength=self.n_groups)
        total_positive, total_negative = positive.sum(), negative.sum()
        if total_positive <= 0 or total_negative <= 0:
            return None
        # Each positive beats the negatives with a lower score, and ties with those at its own.
        below = np.cumsum(negative) - negative
        wins = float(np.sum(positive * (below + 0.5 * negative)))
        return wins / float(total_positive * total_negative)


def roc_auc(scores: Sequence[float], labels: Sequence[bool | int]) -> float | None:
    """ROC-AUC of `scores` (higher = more likely positive) for boolean `labels`; None without both classes."""
    return _Ranked(scores, labels).auc()


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    resamples: int  # resamples that had both classes (the others cannot give an AUC)


def bootstrap_auc(
    scores: Sequence[float],
    labels: Sequence[bool | int],
    clusters: Sequence[Hashable],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> Interval | None:
    """A percentile bootstrap interval for the AUC, resampling whole clusters (accounts) with replacement.

    Seeded, so the same data always gives the same interval. None when no resample had both classes.
    """
    if len(clusters) != len(scores):
        raise ValueError(f"scores and clusters differ in length ({len(scores)} and {len(clusters)})")
    ranked = _Ranked(scores, labels)
    if not len(scores):
        return None
    _, cluster_index = np.unique(np.asarray([str(c) for c in clusters]), return_inverse=True)
    n_clusters = int(cluster_index.max()) + 1
    rng = np.random.default_rng(seed)
    aucs = []
    for _ in range(resamples):
        # How many times each account was drawn becomes the weight of each of its rows.
        drawn = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters).astype(float)
        value = ranked.auc(drawn[cluster_index])
        if value is not None:
            aucs.append(value)
    if not aucs:
        return None
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(np.asarray(aucs), [tail, 1.0 - tail])
    return Interval(float(low), float(high), len(aucs))


@dataclass(frozen=True)
class BandRate:
    band: str
    accounts: int  # account-snapshots in the band
    churned: int

    @property
    def rate(self) -> float | None:
        return self.churned / self.accounts if self.accounts else None


def band_rates(bands: Sequence[str], labels: Sequence[bool | int], order: Sequence[str]) -> list[BandRate]:
    """Churn rate per band, in `order` (bands not in it follow, alphabetically)."""
    counts: dict[str, list[int]] = {band: [0, 0] for band in order}
    for band, churned in zip(bands, labels, strict=True):
        row = counts.setdefault(band, [0, 0])
        row[0] += 1
        row[1] += int(bool(churned))
    names = list(order) + sorted(set(counts) - set(order))
    return [BandRate(band, counts[band][0], counts[band][1]) for band in names]


def lift(rates: Sequence[BandRate], high: str = "red", low: str = "green") -> float | None:
    """`high`'s churn rate over `low`'s; None when either is unknown or `low`'s is zero."""
    by_band = {rate.band: rate.rate for rate in rates}
    top, bottom = by_band.get(high), by_band.get(low)
    if top is None or not bottom:
        return None
    return top / bottom


# Fitted weights ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FittedWeights:
    """Weights a logistic regression of churn on the measure scores suggests.

    `weights` sum to 100 over the measures, like a scorecard's effective weights: each is
    max(0, −β_k / σ_k) normalised, where β_k is the coefficient of measure k's standardised score
    and σ_k its standard deviation, i.e. how much one point of that measure's score lowers the
    fitted churn log-odds. A measure whose higher score goes with *more* churn gets 0. `coefficients`
    keeps the standardised β_k (negative = protective). `cv_auc` is the model's own AUC from
    5-fold cross-validation with folds by cluster (account), so it is not judged on accounts it saw.
    """

    weights: dict[str, float]
    coefficients: dict[str, float]
    cv_auc: float | None
    rows: int


def fit_weights(
    matrix: Sequence[Sequence[float | None]],
    labels: Sequence[bool | int],
    clusters: Sequence[Hashable],
    names: Sequence[str],
    *,
    folds: int = 5,
    seed: int = BOOTSTRAP_SEED,
) -> FittedWeights | None:
    """Fit churn ~ measure scores (missing → the measure's mean); None without both classes."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    y = np.asarray(labels, dtype=int)
    if not len(y) or y.min() == y.max():
        return None
    x = np.asarray([[math.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    x = x.reshape(len(y), len(names))
    present = (~np.isnan(x)).sum(axis=0)
    # A measure missing everywhere becomes a constant column of zeros, which the fit ignores.
    means = np.where(present > 0, np.nansum(x, axis=0) / np.maximum(present, 1), 0.0)
    x = np.where(np.isnan(x), means, x)
    sd = x.std(axis=0)
    sd_safe = np.where(sd > 0, sd, 1.0)
    z = (x - means) / sd_safe

    model = LogisticRegression(C=1.0, max_iter=1000)
    model.fit(z, y)
    beta = model.coef_[0]
    beta = np.where(sd > 0, beta, 0.0)
    per_point = np.maximum(0.0, -beta / sd_safe)
    total = float(per_point.sum())
    weights = {name: (100.0 * float(v) / total if total > 0 else 0.0) for name, v in zip(names, per_point, strict=True)}

    cv_auc = None
    groups = np.asarray([str(c) for c in clusters])
    n_groups = len(set(groups.tolist()))
    k = min(folds, n_groups)
    if k >= 2:
        predicted = np.zeros(len(y))
        for train, test in GroupKFold(n_splits=k).split(z, y, groups):
            if y[train].min() == y[train].max():
                continue
            fold = LogisticRegression(C=1.0, max_iter=1000).fit(z[train], y[train])
            predicted[test] = fold.predict_proba(z[test])[:, 1]
        cv_auc = roc_auc(predicted.tolist(), y.tolist())
    coefficients = {name: float(b) for name, b in zip(names, beta, strict=True)}
    return FittedWeights(weights, coefficients, cv_auc, len(y))


def normalised(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights scaled to sum to 100 (all zero stays all zero)."""
    total = sum(weights.values())
    return {name: (100.0 * value / total if total else 0.0) for name, value in weights.items()}
