"""The customer-success formulas, pure: no Django, no database, importable anywhere.

Every function takes plain numbers and returns a plain number (or None where the measure is
undefined, such as the NPS of no answers), so the same code computes a figure on screen, in a report
and in a notebook, and its docstring is the formula shown next to that figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

PROMOTER_MIN = 9  # 9–10
DETRACTOR_MAX = 6  # 0–6; 7–8 are passives
CSAT_SATISFIED_ABOVE = 3.5  # seed 001: the share of survey answers above 3.5 of 5


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
