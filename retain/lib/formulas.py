"""The customer-success formulas, pure: no Django, no database, importable anywhere.

Every function takes plain numbers and returns a plain number (or None where the measure is
undefined, such as the NPS of no answers), so the same code computes a figure on screen, in a report
and in a notebook, and its docstring is the formula shown next to that figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal

Amount = int | float | Decimal  # money and counts arrive as Decimal from the ledger, as floats elsewhere

PROMOTER_MIN = 9  # 9–10
DETRACTOR_MAX = 6  # 0–6; 7–8 are passives
CSAT_SATISFIED_ABOVE = 3.5  # seed 001: the share of survey answers above 3.5 of 5
QUOTA_TARGET = 1.2  # seed 003: a book of $1M ARR should be worth $1.2M a year later (120% net retention)


def _nps_scores(scores: Iterable[int | float]) -> list[int | float]:
    checked = list(scores)
    for score in checked:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 10:
            raise ValueError(f"an NPS score must be a number from 0 to 10, got {score!r}")
    return checked


def nps_category(score: int | float) -> str:
    """promoter (9–10), passive (7–8) or detractor (0–6)."""
    _nps_scores([score])
    if score >= PROMOTER_MIN:
        return "promoter"
    if score <= DETRACTOR_MAX:
        return "detractor"
    return "passive"


def _shares(scores: Sequence[int | float]) -> tuple[float, float]:
    n = len(scores)
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return promoters / n, detractors / n


def nps(scores: Iterable[int | float]) -> float | None:
    """Net Promoter Score = (% promoters − % detractors), from −100 to 100; None without answers."""
    checked = _nps_scores(scores)
    if not checked:
        return None
    promoters, detractors = _shares(checked)
    return 100 * (promoters - detractors)


def nps_variance(scores: Iterable[int | float]) -> float | None:
    """Variance of one answer's NPS contribution (+1 promoter, 0 passive, −1 detractor), in points².

    var = (p + d) − (p − d)², with p and d the shares of promoters and detractors, times 100².
    """
    checked = _nps_scores(scores)
    if not checked:
        return None
    promoters, detractors = _shares(checked)
    return 10_000 * ((promoters + detractors) - (promoters - detractors) ** 2)


def nps_standard_error(scores: Iterable[int | float]) -> float | None:
    """Standard error of the NPS in points: √(variance / n). A ±1.96·SE band is the 95% interval."""
    checked = _nps_scores(scores)
    variance = nps_variance(checked)
    if variance is None:
        return None
    return math.sqrt(max(variance, 0.0) / len(checked))


def csat_share_satisfied(scores: Iterable[int | float], above: float = CSAT_SATISFIED_ABOVE) -> float | None:
    """Share (0–1) of CSAT answers (1–5) strictly above `above` (seed 001: 3.5); None without answers."""
    checked = list(scores)
    for score in checked:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 1 <= score <= 5:
            raise ValueError(f"a CSAT score must be a number from 1 to 5, got {score!r}")
    if not checked:
        return None
    return sum(1 for s in checked if s > above) / len(checked)


def response_rate(responses: int, invitations: int) -> float | None:
    """Answers received / invitations sent (0–1); None when nothing was sent."""
    if responses < 0 or invitations < 0:
        raise ValueError("counts cannot be negative")
    if invitations == 0:
        return None
    return responses / invitations


# Revenue and retention (seeds 002/003; definitions of "Fighting Churn with Data").
#
# Conventions shared by every function below: inputs are plain numbers (int, float or Decimal) and
# the result is a float; a negative amount, count or spend is impossible and raises ValueError naming
# the input; a measure whose denominator is zero (no revenue at the start, nothing spent, nobody due
# for renewal) is undefined and returns None, as nps() does without answers.


def _amount(name: str, value: Amount) -> float:
    """`value` as a float, refused by name when it is not a finite number ≥ 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if number < 0:
        raise ValueError(f"{name} cannot be negative, got {value!r}")
    return number


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def clv(gross_margin: Amount, average_mrr: Amount, monthly_churn: Amount) -> float | None:
    """Customer lifetime value = gross margin % × average MRR per account / monthly churn %.

    Seed 003: 75% × $500 / 1% = $37,500. gross_margin and monthly_churn are shares (0–1); None when
    nothing churns (the lifetime, 1 / churn, is unbounded).
    """
    margin = _amount("gross_margin", gross_margin)
    if margin > 1:
        raise ValueError(f"gross_margin is a share from 0 to 1, got {gross_margin!r}")
    churn = _amount("monthly_churn", monthly_churn)
    if churn > 1:
        raise ValueError(f"monthly_churn is a share from 0 to 1, got {monthly_churn!r}")
    return _ratio(margin * _amount("average_mrr", average_mrr), churn)


def eligible_churn(revenue_lost: Amount, revenue_due: Amount) -> float | None:
    """Eligible churn = revenue lost in the period / revenue due for renewal in the period.

    Seed 003: $20,000 / $2,000,000 = 1%. None when nothing was due.
    """
    return _ratio(_amount("revenue_lost", revenue_lost), _amount("revenue_due", revenue_due))


def cac(spend: Amount, new_acv: Amount) -> float | None:
    """Customer acquisition cost per $1 of new ACV = sales-and-marketing spend / new ACV.

    Seed 003: $1.00 spent per $1.15 of new ACV → $0.87 per $1. None without new ACV.
    """
    return _ratio(_amount("spend", spend), _amount("new_acv", new_acv))


def acv_per_dollar(spend: Amount, new_acv: Amount) -> float | None:
    """New ACV won per $1 of sales-and-marketing spend = new ACV / spend (the seed's way round of CAC).

    Seed 003: $1.15 of new ACV per $1.00 spent. None when nothing was spent.
    """
    return _ratio(_amount("new_acv", new_acv), _amount("spend", spend))


def crc(cs_spend: Amount, retained_acv: Amount) -> float | None:
    """Customer retention cost = customer-success spend / retained ACV.

    Seed 003: $0.12 spent to retain $1.00 of ACV = 12%. None when no ACV was retained.
    """
    return _ratio(_amount("cs_spend", cs_spend), _amount("retained_acv", retained_acv))


def gross_revenue_retention(start_mrr: Amount, contraction: Amount, churn: Amount) -> float | None:
    """Gross revenue retention = (MRR at start − contraction − churn) / MRR at start.

    Over the accounts active at period start only: their downsell and the MRR of those that left are
    subtracted; expansion, reactivation and new accounts never count, so GRR ≤ 100%. None when there
    was no MRR at the start.
    """
    start = _amount("start_mrr", start_mrr)
    lost = _amount("contraction", contraction) + _amount("churn", churn)
    if lost > start:
        raise ValueError(f"contraction + churn ({lost:g}) cannot exceed start_mrr ({start_mrr})")
    return _ratio(start - lost, start)


def net_revenue_retention(
    start_mrr: Amount, expansion: Amount, contraction: Amount, churn: Amount, reactivation: Amount = 0
) -> float | None:
    """Net revenue retention = MRR at period end of the accounts active at period start / their MRR at start
    = (MRR at start + expansion + reactivation − contraction − churn) / MRR at start.

    Every term is over the accounts active at period start: expansion counts, new accounts do not.
    reactivation is MRR those same accounts won back within the period (a subscription of theirs that
    lapsed and restarted); an account inactive at the start that returns is not in NRR at all. None
    when there was no MRR at the start.
    """
    start = _amount("start_mrr", start_mrr)
    lost = _amount("contraction", contraction) + _amount("churn", churn)
    won = _amount("expansion", expansion) + _amount("reactivation", reactivation)
    if lost > start + won:
        raise ValueError(f"contraction + churn ({lost:g}) cannot exceed start_mrr + expansion + reactivation")
    return _ratio(start + won - lost, start)


def logo_churn_rate(accounts_at_start: int, churned_accounts: int) -> float | None:
    """Logo churn = accounts active at period start and not at period end / accounts active at start.

    None when no account was active at the start.
    """
    start = _amount("accounts_at_start", accounts_at_start)
    churned = _amount("churned_accounts", churned_accounts)
    if churned > start:
        raise ValueError(f"churned_accounts ({churned_accounts}) cannot exceed accounts_at_start ({accounts_at_start})")
    return _ratio(churned, start)


def mrr_churn_rate(start_mrr: Amount, churned_mrr: Amount, downsell: Amount = 0) -> float | None:
    """MRR churn = (MRR of churned accounts + downsell) / MRR at start, i.e. 1 − gross revenue retention.

    None when there was no MRR at the start.
    """
    start = _amount("start_mrr", start_mrr)
    lost = _amount("churned_mrr", churned_mrr) + _amount("downsell", downsell)
    if lost > start:
        raise ValueError(f"churned_mrr + downsell ({lost:g}) cannot exceed start_mrr ({start_mrr})")
    return _ratio(lost, start)


def prorated_target(target: Amount, days: int, target_days: int = 365) -> float:
    """The share of a net-retention target due after `days` of the `target_days` it is set for.

    The growth the target asks for accrues evenly: a 120% target for a year asks for 20% growth over
    365 days, so 5% (105.0%) after 91 days and the whole 120% after 365. A quarter-to-date book is
    compared with the quarter's share, not with the year's target.
    """
    goal = _amount("target", target)
    if goal <= 0:
        raise ValueError("target must be above 0")
    if days < 1 or target_days < 1:
        raise ValueError("days and target_days must be at least 1")
    return 1 + (goal - 1) * days / target_days


def quota_attainment(start_arr: Amount, end_arr: Amount, target: Amount = QUOTA_TARGET) -> float | None:
    """CSM quota attainment = (book ARR at period end / book ARR at period start) / target.

    The book is the accounts the CSM held at the start; their ARR at the end counts whoever holds them
    then. Seed 003: $1,000,000 → $1,200,000 is 120% net retention, 100% of a 120% target. None when the
    book had no ARR at the start.
    """
    goal = _amount("target", target)
    if goal == 0:
        raise ValueError("target must be above 0")
    retention = _ratio(_amount("end_arr", end_arr), _amount("start_arr", start_arr))
    return None if retention is None else retention / goal
