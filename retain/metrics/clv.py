"""Customer lifetime value per tier, two ways, as figures a page shows with their formula and inputs.

Both are read from the renewal cohorts of `retain.metrics.cohorts` (the whole subscription history up
to today, per tier), so the revenue page and the cohort retention page show the same values:

- the seed's formula (seed 002/003): gross margin × average MRR per account ÷ monthly churn, the
  churn being the tier's observed churn per renewal period converted to a month. It assumes every
  customer churns at the same constant rate and counts future money at face value;
- the shifted-beta-geometric model fitted to the same cohorts: gross margin × average MRR × months
  per period × DEL(d) for a new customer, and × DERL(d | n) for a customer who has renewed n times.
  It lets retention rise with tenure (those likely to leave go early) and discounts each period.

A tier with too few losses gets "not enough churn history" instead of either value (see
`cohorts.MIN_CLV_CHURNERS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from retain.lib.money import format_money
from retain.metrics.cohorts import MIN_CLV_CHURNERS, RetentionReport, TierRetention
from retain.surveys.measures import Figure

SEED_FORMULA = "CLV = gross margin × average MRR per account ÷ monthly churn"
NEW_FORMULA = "CLV (sBG) = gross margin × average MRR × months per period × DEL(d)"
RESIDUAL_FORMULA = "Residual value (sBG) = gross margin × average MRR × months per period × DERL(d | n renewals)"


def why_they_differ() -> str:
    """The page's note on why the two values differ."""
    return _WHY_THEY_DIFFER.format(min_churners=MIN_CLV_CHURNERS)


_WHY_THEY_DIFFER = (
    "The seed formula assumes one constant monthly churn rate for every customer and counts future "
    "months at face value. The sBG model is fitted to the renewal curve: the customers likely to leave "
    "go early, so retention rises with tenure, and each future period is discounted. A churn rate read "
    "from few losses moves a lot with one more loss, which is why neither value is given below "
    "{min_churners} lost accounts."
)


@dataclass(frozen=True)
class TierClv:
    """One tier's CLVs; `refusal` says why there are none (the figures' values are then None)."""

    tier: str
    label: str
    seed: Figure
    sbg_new: Figure
    sbg_residual: Figure
    refusal: str
    explanation: str

    currency: str

    def figures(self) -> list[tuple[str, str, Figure]]:
        """(key, label, figure) in the order a page shows them."""
        renewals = self.sbg_residual.inputs.get("renewals", "n")
        return [
            ("seed", "Seed formula", self.seed),
            ("sbg_new", "sBG, a new customer", self.sbg_new),
            ("sbg_residual", f"sBG, after {renewals} renewals", self.sbg_residual),
        ]

    def rows(self) -> list[dict[str, Any]]:
        """Each figure with its value as money (— when there is none) and its inputs by readable name."""
        return [
            {
                "key": key,
                "label": label,
                "figure": figure,
                "display": "—" if figure.value is None else _money(figure.value, self.currency),
                "inputs": [(name.replace("_", " "), value) for name, value in figure.inputs.items()],
            }
            for key, label, figure in self.figures()
        ]


def _margin(share: float) -> str:
    """75% or 82.5%: the setting as an admin typed it."""
    text = f"{100 * share:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def tier_clv(tier: TierRetention, report: RetentionReport, currency: str) -> TierClv:
    margin = _margin(report.gross_margin)
    period = report.period_name
    months = report.period_months
    base = {"gross_margin": margin}
    if tier.fit is None or tier.clv is None:
        reason = tier.refusal or tier.clv_refusal
        inputs = {**base, "accounts_lost": tier.lost, "renewals_observed": tier.at_risk}
        worked = f"no value: {reason}"
        return TierClv(
            tier=tier.tier,
            label=tier.label,
            seed=Figure(None, SEED_FORMULA, inputs, worked),
            sbg_new=Figure(None, NEW_FORMULA, base, worked),
            sbg_residual=Figure(None, RESIDUAL_FORMULA, base, worked),
            refusal=reason,
            explanation="",
            currency=currency,
        )
    clv = tier.clv
    mrr = tier.average_mrr or 0.0
    monthly = tier.monthly_churn or 0.0
    observed = tier.observed_churn or 0.0
    seed_inputs = {
        **base,
        "average_mrr": _money(mrr, currency),
        "monthly_churn": f"{100 * monthly:.3f}%",
        f"churn_per_{period}": f"{tier.lost} lost / {tier.at_risk} renewals = {100 * observed:.2f}%",
        "monthly_from_period": f"1 − (1 − {100 * observed:.2f}%)^(1/{months})",
    }
    seed_worked = f"CLV = {margin} × {_money(mrr, currency)} ÷ {100 * monthly:.3f}% = " + (
        "undefined" if clv.seed_clv is None else _money(clv.seed_clv, currency)
    )
    fit = tier.fit
    lifetime = fit.discounted_expected_lifetime(report.discount)
    residual_lifetime = fit.discounted_expected_residual_lifetime(report.discount, clv.renewals)
    sbg_inputs = {
        **base,
        "average_mrr": _money(mrr, currency),
        "months_per_period": months,
        "alpha_beta": f"{fit.alpha:.3f}, {fit.beta:.3f}",
        f"discount_per_{period}": f"{100 * report.discount:.2f}%",
        "DEL": f"{lifetime:.2f} {period}s",
    }
    new_worked = (
        f"{margin} × {_money(mrr, currency)} × {months} × {lifetime:.2f} = {_money(clv.new_customer_clv, currency)}"
    )
    residual_inputs = {**sbg_inputs, "renewals": clv.renewals, "DERL": f"{residual_lifetime:.2f} {period}s"}
    del residual_inputs["DEL"]
    residual_worked = (
        f"{margin} × {_money(mrr, currency)} × {months} × {residual_lifetime:.2f} = "
        f"{_money(clv.residual_clv, currency)}"
    )
    return TierClv(
        tier=tier.tier,
        label=tier.label,
        seed=Figure(clv.seed_clv, SEED_FORMULA, seed_inputs, seed_worked),
        sbg_new=Figure(clv.new_customer_clv, NEW_FORMULA, sbg_inputs, new_worked),
        sbg_residual=Figure(clv.residual_clv, RESIDUAL_FORMULA, residual_inputs, residual_worked),
        refusal="",
        explanation=" ".join(part for part in (clv.explanation, tier.tenure_note) if part),
        currency=currency,
    )


def _money(amount: float, currency: str) -> str:
    return format_money(Decimal(str(round(amount, 2))), currency)


def clv_by_tier(report: RetentionReport, currency: str) -> list[TierClv]:
    """Every tier's CLVs, in the tiers' order."""
    return [tier_clv(tier, report, currency) for tier in report.tiers]
