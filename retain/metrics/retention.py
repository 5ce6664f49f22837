"""Projecting contractual retention with the shifted-beta-geometric model (pure: numpy and scipy only).

Fader & Hardie (2007), "How to Project Customer Retention": each customer of a cohort has a constant
chance θ of leaving at every renewal, and θ varies across customers as Beta(α, β). Then

    P(T = t) = B(α + 1, β + t − 1) / B(α, β)          the chance of leaving at renewal t (t ≥ 1)
    S(t)     = B(α, β + t) / B(α, β)                   the chance of still being a customer after t
    r(t)     = (β + t − 1) / (α + β + t − 1)           the retention rate of period t = S(t) / S(t − 1)

The retention rate rises with t: the customers who stay are, more and more, the ones with a low θ. A
single blended churn rate misses that, which is why a CLV of "margin / churn" undervalues a book of
long-tenured customers (the sBG's DERL gives the value that accounts for it).

Fit: maximum likelihood on log α and log β (so both stay positive) over the churn counted in each
observed period plus the customers still active at the end, who are censored: they contribute
log S(T). `fit_sbg([1000, 631, 468, …])` reproduces the paper's α, β and log-likelihood.

Discounted lifetimes (Fader & Hardie 2010, "Customer-Base Valuation in a Contractual Setting"), with
d the discount rate per period and ₂F₁ the Gaussian hypergeometric function:

    DEL(d)                     = ₂F₁(1, β; α + β; 1 / (1 + d))
    DERL(d | n − 1 renewals)   = (β + n − 1) / (α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1 / (1 + d))

DEL counts the first period (paid on signing) as 1; DERL counts the periods still to come for a
customer who has renewed n − 1 times, valued just before the next renewal decision, so
DEL = 1 + DERL(n = 1) / (1 + d).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retain.lib import formulas

# SciPy is imported inside the functions that need it: this module is reached by the revenue pages at
# start-up, and importing scipy.optimize costs every starting process (web, worker, CLI) seconds of CPU.

# log α and log β are searched within these bounds: a cohort in which nobody (or everybody) left has
# no finite maximum, and the bound stops the search at an answer that still projects sensibly.
LOG_PARAMETER_BOUND = 12.0


@dataclass(frozen=True)
class SbgFit:
    """A fitted shifted-beta-geometric model of one cohort (or several sharing α and β)."""

    alpha: float
    beta: float
    log_likelihood: float
    cohort_size: int

    def survival(self, t: int) -> float:
        """S(t) = B(α, β + t) / B(α, β): the share of the cohort still active after t periods."""
        from scipy.special import betaln  # SciPy at use: costly to import at every start-up

        _period(t, "t")
        return math.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta))

    def churn_probability(self, t: int) -> float:
        """P(T = t) = B(α + 1, β + t − 1) / B(α, β): the share of the cohort leaving at renewal t (t ≥ 1)."""
        from scipy.special import betaln

        if _period(t, "t") < 1:
            raise ValueError("t must be at least 1: nobody leaves before the first renewal")
        return math.exp(betaln(self.alpha + 1, self.beta + t - 1) - betaln(self.alpha, self.beta))

    def retention_rate(self, t: int) -> float:
        """r(t) = (β + t − 1) / (α + β + t − 1): the share of those active in period t − 1 who renew at t (t ≥ 1)."""
        if _period(t, "t") < 1:
            raise ValueError("t must be at least 1: the first retention rate is that of the first renewal")
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def expected_active(self, t: int) -> float:
        """The cohort size × S(t): how many of the cohort are expected to be active at the start of period t."""
        return self.cohort_size * self.survival(t)

    def discounted_expected_lifetime(self, discount: float) -> float:
        """DEL(d) = ₂F₁(1, β; α + β; 1 / (1 + d)): a new customer's expected periods, each discounted by d."""
        from scipy.special import hyp2f1

        return float(hyp2f1(1.0, self.beta, self.alpha + self.beta, 1.0 / (1.0 + _discount(discount))))

    def discounted_expected_residual_lifetime(self, discount: float, renewals: int) -> float:
        """DERL(d | n − 1 renewals) = (β + n − 1) / (α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1 / (1 + d)),
        with n − 1 = `renewals`: the discounted periods still to come for a customer who has renewed
        that many times, valued just before the next renewal decision (the period they are in is
        already paid for and not counted; the next one is weighted by the chance of renewing)."""
        from scipy.special import hyp2f1

        n = _period(renewals, "renewals") + 1
        z = 1.0 / (1.0 + _discount(discount))
        head = (self.beta + n - 1) / (self.alpha + self.beta + n - 1)
        return float(head * hyp2f1(1.0, self.beta + n, self.alpha + self.beta + n, z))

    def residual_value(self, value_per_period: float, discount: float, renewals: int) -> float:
        """Expected residual value of a customer = value per period (e.g. margin per year) × DERL(d | renewals)."""
        return value_per_period * self.discounted_expected_residual_lifetime(discount, renewals)


def _period(t: int, name: str) -> int:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"{name} must be a whole number of periods ≥ 0, got {t!r}")
    return int(t)


def _discount(discount: float) -> float:
    if not math.isfinite(discount) or discount < 0:
        raise ValueError(f"discount must be a rate ≥ 0 per period (0.10 for 10%), got {discount!r}")
    return discount


def _checked(active: Sequence[int]) -> list[int]:
    counts = list(active)
    if len(counts) < 2:
        raise ValueError("active needs the cohort size and at least one later period (active[0], active[1], …)")
    for t, value in enumerate(counts):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"active[{t}] must be a whole number ≥ 0, got {value!r}")
    if counts[0] == 0:
        raise ValueError("active[0], the cohort size, must be above 0")
    for t in range(1, len(counts)):
        if counts[t] > counts[t - 1]:
            raise ValueError(
                f"active[{t}] ({counts[t]}) exceeds active[{t - 1}] ({counts[t - 1]}): a cohort only shrinks"
            )
    return [int(value) for value in counts]


def _log_likelihood(log_alpha: float, log_beta: float, cohorts: Sequence[Sequence[int]]) -> float:
    from scipy.special import betaln

    alpha, beta = math.exp(log_alpha), math.exp(log_beta)
    base = betaln(alpha, beta)
    total = 0.0
    for active in cohorts:
        periods = np.arange(1, len(active))
        lost = -np.diff(np.asarray(active, dtype=float))
        leave = betaln(alpha + 1, beta + periods - 1) - base
        total += float(np.dot(lost, leave))
        total += active[-1] * float(betaln(alpha, beta + len(active) - 1) - base)
    return total


def fit_sbg_cohorts(cohorts: Sequence[Sequence[int]]) -> SbgFit:
    """Fit one α and β to several cohorts observed for different lengths (e.g. one per signing year):
    each contributes the churn of every period it was observed plus its survivors, censored at its end.
    `cohort_size` of the result is the first cohort's."""
    from scipy.optimize import minimize

    checked = [_checked(active) for active in cohorts]
    if not checked:
        raise ValueError("at least one cohort is needed")

    def objective(x: np.ndarray) -> float:
        return -_log_likelihood(float(x[0]), float(x[1]), checked)

    bounds = [(-LOG_PARAMETER_BOUND, LOG_PARAMETER_BOUND)] * 2
    # Two starts: the likelihood is smooth but flat along a ridge when few periods are observed.
    best = None
    for start in ([0.0, 0.0], [0.0, 1.0]):
        result = minimize(objective, np.array(start), method="L-BFGS-B", bounds=bounds)
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    log_alpha, log_beta = (float(v) for v in best.x)
    return SbgFit(
        alpha=math.exp(log_alpha),
        beta=math.exp(log_beta),
        log_likelihood=_log_likelihood(log_alpha, log_beta, checked),
        cohort_size=checked[0][0],
    )


def fit_sbg(active: Sequence[int]) -> SbgFit:
    """Fit the sBG model to one cohort: active[t] = customers still active at the start of period t,
    active[0] = the cohort size. Maximum likelihood over log α and log β."""
    return fit_sbg_cohorts([active])


@dataclass(frozen=True)
class ClvComparison:
    """The seed's CLV beside the sBG's, for one book of customers, with why they differ."""

    seed_clv: float | None  # gross margin × average MRR / monthly churn (undiscounted, churn constant)
    new_customer_clv: float  # gross margin × average MRR × months per period × DEL(d)
    residual_clv: float  # what a customer who has renewed `renewals` times is still worth: × DERL(d | renewals)
    renewals: int
    discount: float
    first_retention: float  # r(1): the share renewing at the first renewal
    later_retention: float  # r(renewals + 1): the share renewing at their next one
    explanation: str


def clv_comparison(
    fit: SbgFit,
    *,
    gross_margin: float,
    average_mrr: float,
    monthly_churn: float,
    discount: float = 0.10,
    months_per_period: int = 12,
    renewals: int = 3,
) -> ClvComparison:
    """CLV two ways. The seed formula assumes one churn rate for everyone, undiscounted. The sBG fit knows
    that retention rises with tenure (the customers likely to leave do so early), and discounts each
    future period by d; DEL values a new customer, DERL one who has already renewed `renewals` times."""
    per_period = gross_margin * average_mrr * months_per_period
    seed = formulas.clv(gross_margin=gross_margin, average_mrr=average_mrr, monthly_churn=monthly_churn)
    new = per_period * fit.discounted_expected_lifetime(discount)
    residual = per_period * fit.discounted_expected_residual_lifetime(discount, renewals)
    first, later = fit.retention_rate(1), fit.retention_rate(renewals + 1)
    seed_text = "undefined (no churn)" if seed is None else f"{seed:,.0f}"
    explanation = (
        f"The seed formula ({gross_margin:.0%} × {average_mrr:,.0f} / {monthly_churn:.2%}) = {seed_text} "
        f"treats every customer alike and counts future money at face value. The fitted model sees "
        f"{first:.0%} renew at the first renewal and {later:.0%} at renewal {renewals + 1}: the customers "
        f"likely to leave go early, so those who stay are worth more. Discounting each period by {discount:.0%}, "
        f"a new customer is worth {new:,.0f}; one who has renewed {renewals} times is still worth {residual:,.0f} "
        f"beyond the period already paid."
    )
    return ClvComparison(
        seed_clv=seed,
        new_customer_clv=new,
        residual_clv=residual,
        renewals=renewals,
        discount=discount,
        first_retention=first,
        later_retention=later,
        explanation=explanation,
    )
