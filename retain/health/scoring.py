"""Health scoring, pure: a scorecard and one account's raw measure values in, a score out.

No Django and no database: the same function scores today's accounts, replays a past day in a
backtest and previews a draft scorecard. The raw values come from `health.measures` (one mapping
of kind → value per account); the scorecard from `health.definition` (YAML) or built directly.

A scorecard scores each measure with one rule, then composes:

- `weighted_average` (Gainsight, Vitally, Totango's weighted style): a group's score is the weighted
  average of its measures, the overall score the weighted average of the groups. Weights are
  normalised over what is present, so a measure's *effective weight* is the share of the overall
  score it carries and its *contribution* (score × effective weight) adds up to the overall score.
- `worst_of` (Totango's account model): the overall score is the lowest group score (or the lowest
  measure score without groups). The group or measure that decided carries all the weight.
- `additive` (Planhat): a neutral start (say 50) plus each measure's points, clamped to 0–100.

Missing inputs (a raw value of None): `reweight` drops the measure and renormalises the weights of
the others; `zero` scores it 0 (in an additive scorecard: the grid's lowest points, since 0 points
would be no penalty at all). An account with no value for any measure gets no score (None), never a
made-up 50.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from retain.health import catalogue
from retain.lib.numbers import signed

WEIGHTED_AVERAGE = "weighted_average"
WORST_OF = "worst_of"
ADDITIVE = "additive"
COMPOSITIONS = (WEIGHTED_AVERAGE, WORST_OF, ADDITIVE)

REWEIGHT = "reweight"
ZERO = "zero"
MISSING_RULES = (REWEIGHT, ZERO)

RED = "red"
YELLOW = "yellow"
GREEN = "green"

BELOW = "below"
AT_LEAST = "at_least"

Values = Mapping[str, float | None]


# Rules: one raw value → a score (0–100) or points ------------------------------------------------


@dataclass(frozen=True)
class Bands:
    """Ordered thresholds. `below`: the first step whose threshold the value is under wins (thresholds
    ascending); `at_least`: the first step whose threshold the value reaches wins (descending).
    A value that passes every step gets `otherwise` (the YAML's `else`)."""

    comparison: str  # BELOW or AT_LEAST
    steps: tuple[tuple[float, float], ...]
    otherwise: float

    name = "bands"
    is_points = False

    def apply(self, value: float) -> float:
        for threshold, result in self.steps:
            if (value < threshold) if self.comparison == BELOW else (value >= threshold):
                return float(result)
        return float(self.otherwise)

    def lowest(self) -> float:
        return float(min([result for _, result in self.steps] + [self.otherwise]))


@dataclass(frozen=True)
class Points(Bands):
    """The same ordered grid as `Bands`, giving points to add to a neutral start instead of a score."""

    name = "points"
    is_points = True


@dataclass(frozen=True)
class Linear:
    """`start` (the YAML's `from`) scores 0, `end` (`to`) scores 100, in between on a straight line,
    clamped outside. `start` above `end` for measures where lower is better."""

    start: float
    end: float

    name = "linear"
    is_points = False

    def apply(self, value: float) -> float:
        return _clamp(100.0 * (value - self.start) / (self.end - self.start), 0.0, 100.0)

    def lowest(self) -> float:
        return 0.0


@dataclass(frozen=True)
class BoundedLinear:
    """A straight line from (`floor`, `min_score`) to (`cap`, `max_score`): at and beyond the floor
    the score is `min_score`, at and beyond the cap `max_score`. `floor` above `cap` for measures
    where lower is better."""

    floor: float
    cap: float
    min_score: float
    max_score: float

    name = "bounded_linear"
    is_points = False

    def apply(self, value: float) -> float:
        share = _clamp((value - self.floor) / (self.cap - self.floor), 0.0, 1.0)
        return self.min_score + share * (self.max_score - self.min_score)

    def lowest(self) -> float:
        return float(self.min_score)


Rule = Bands | Points | Linear | BoundedLinear


# The scorecard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    kind: str
    label: str
    scoring: Rule
    weight: float = 1.0
    params: Mapping[str, Any] = field(default_factory=dict)
    missing: str | None = None  # None: the scorecard's rule

    @property
    def direction(self) -> int:
        return catalogue.get(self.kind).direction


@dataclass(frozen=True)
class Group:
    name: str
    measures: tuple[Measure, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Scorecard:
    """A scorecard definition. Without groups (`grouped` false) its measures sit in one unnamed group."""

    name: str
    groups: tuple[Group, ...]
    grouped: bool = True
    description: str = ""
    applies_to: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 100
    composition: str = WEIGHTED_AVERAGE
    neutral: float = 50.0
    missing: str = REWEIGHT
    red_below: float = 40.0
    green_from: float = 70.0

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(measure for group in self.groups for measure in group.measures)

    @property
    def is_default(self) -> bool:
        return bool(self.applies_to.get("default"))

    def kinds(self) -> list[str]:
        return [measure.kind for measure in self.measures]

    def params(self) -> dict[str, dict[str, Any]]:
        """Each kind's parameters, defaults filled in: what the measures need to compute."""
        return {m.kind: catalogue.get(m.kind).resolve(m.params) for m in self.measures}

    def band(self, overall: float | None) -> str | None:
        if overall is None:
            return None
        if overall < self.red_below:
            return RED
        return GREEN if overall >= self.green_from else YELLOW


# Results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureResult:
    """One measure's part in a score.

    `score` is the rule's output: 0–100, or for a points rule the points. `effective_weight` is the
    share of the overall score the measure carries (None in additive scorecards, which add points).
    `contribution` is what it adds to the overall score: score × effective weight, or its points.
    """

    kind: str
    label: str
    group: str | None
    raw: float | None
    score: float | None
    weight: float
    effective_weight: float | None
    contribution: float
    missing: bool
    decided: bool = False  # worst_of: this measure (or its group) set the overall score

    def describe(self, params: Mapping[str, Any] | None = None) -> str:
        return catalogue.describe(self.kind, self.raw, params)


@dataclass(frozen=True)
class GroupResult:
    name: str
    score: float | None
    weight: float
    effective_weight: float | None
    contribution: float
    missing: bool
    decided: bool = False


@dataclass(frozen=True)
class HealthResult:
    overall: float | None
    band: str | None
    composition: str
    measures: tuple[MeasureResult, ...]
    groups: tuple[GroupResult, ...] = ()
    decided_by: str | None = None  # worst_of: the group name or measure label that set the score

    def measure(self, kind: str) -> MeasureResult | None:
        return next((m for m in self.measures if m.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for storing with a score; `from_dict` reads it back."""
        return {
            "overall": self.overall,
            "band": self.band,
            "composition": self.composition,
            "decided_by": self.decided_by,
            "measures": [m.__dict__.copy() for m in self.measures],
            "groups": [g.__dict__.copy() for g in self.groups],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HealthResult:
        return cls(
            overall=data["overall"],
            band=data["band"],
            composition=data["composition"],
            decided_by=data.get("decided_by"),
            measures=tuple(MeasureResult(**m) for m in data["measures"]),
            groups=tuple(GroupResult(**g) for g in data.get("groups", ())),
        )


# Scoring ------------------------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _raw(values: Values, kind: str) -> float | None:
    value = values.get(kind)
    if value is None:
        return None
    number = float(value)  # a bool (champion_active) counts as 1 or 0
    return number if math.isfinite(number) else None


@dataclass
class _Scored:
    measure: Measure
    group: Group
    raw: float | None
    score: float | None  # None: dropped (missing under reweight)


def _score_measures(card: Scorecard, values: Values) -> list[_Scored]:
    scored = []
    for group in card.groups:
        for measure in group.measures:
            raw = _raw(values, measure.kind)
            if raw is not None:
                score: float | None = measure.scoring.apply(raw)
            elif (measure.missing or card.missing) == ZERO:
                score = measure.scoring.lowest() if measure.scoring.is_points else 0.0
            else:
                score = None
            scored.append(_Scored(measure, group, raw, score))
    return scored


def score(card: Scorecard, values: Values) -> HealthResult:
    """Score one account: `values` maps each measure kind to its raw value (None or absent: missing)."""
    scored = _score_measures(card, values)
    if all(item.raw is None for item in scored):
        return _unscored(card, scored)
    if card.composition == ADDITIVE:
        return _additive(card, scored)
    return _averaged(card, scored)


def _unscored(card: Scorecard, scored: list[_Scored]) -> HealthResult:
    measures = tuple(_measure_result(card, item, None, 0.0) for item in scored)
    groups = tuple(GroupResult(g.name, None, g.weight, None, 0.0, True) for g in card.groups) if card.grouped else ()
    return HealthResult(None, None, card.composition, measures, groups)


def _measure_result(
    card: Scorecard, item: _Scored, effective: float | None, contribution: float, decided: bool = False
) -> MeasureResult:
    return MeasureResult(
        kind=item.measure.kind,
        label=item.measure.label,
        group=item.group.name if card.grouped else None,
        raw=item.raw,
        score=item.score,
        weight=item.measure.weight,
        effective_weight=effective,
        contribution=contribution,
        missing=item.raw is None,
        decided=decided,
    )


def _additive(card: Scorecard, scored: list[_Scored]) -> HealthResult:
    total = card.neutral + sum(item.score or 0.0 for item in scored)
    overall = round(_clamp(total, 0.0, 100.0), 1)
    measures = tuple(_measure_result(card, item, None, item.score or 0.0) for item in scored)
    groups: tuple[GroupResult, ...] = ()
    if card.grouped:
        groups = tuple(
            GroupResult(
                g.name,
                sum(m.contribution for m in measures if m.group == g.name),
                g.weight,
                None,
                sum(m.contribution for m in measures if m.group == g.name),
                all(m.missing for m in measures if m.group == g.name),
            )
            for g in card.groups
        )
    return HealthResult(overall, card.band(overall), card.composition, measures, groups)


def _averaged(card: Scorecard, scored: list[_Scored]) -> HealthResult:
    # Each group: the weighted average of its present measures, weights renormalised within it.
    inner: dict[str, dict[int, float]] = {}  # group name → id(item) → weight share within the group
    group_scores: dict[str, float | None] = {}
    for group in card.groups:
        present = [item for item in scored if item.group is group and item.score is not None]
        total = sum(item.measure.weight for item in present)
        inner[group.name] = {id(item): item.measure.weight / total for item in present}
        group_scores[group.name] = (
            sum(inner[group.name][id(item)] * (item.score or 0.0) for item in present) if present else None
        )

    present_groups = [g for g in card.groups if group_scores[g.name] is not None]
    outer: dict[str, float] = {}
    decided: str | None = None
    if card.composition == WORST_OF:
        if card.grouped:
            decider = min(present_groups, key=lambda g: group_scores[g.name] or 0.0)
            outer = {decider.name: 1.0}
            decided = decider.name
        else:
            # No groups: the lowest measure decides on its own.
            items = [item for item in scored if item.score is not None]
            lowest = min(items, key=lambda item: item.score or 0.0)
            inner[card.groups[0].name] = {id(lowest): 1.0}
            outer = {card.groups[0].name: 1.0}
            decided = lowest.measure.label
    else:
        total = sum(g.weight for g in present_groups)
        outer = {g.name: g.weight / total for g in present_groups}

    measures = []
    for item in scored:
        share = inner[item.group.name].get(id(item), 0.0) * outer.get(item.group.name, 0.0)
        effective = share if item.score is not None else 0.0
        contribution = effective * (item.score or 0.0)
        is_decider = card.composition == WORST_OF and share > 0
        measures.append(_measure_result(card, item, effective, contribution, is_decider))
    overall_raw = sum(m.contribution for m in measures)
    overall = round(_clamp(overall_raw, 0.0, 100.0), 1)

    groups: tuple[GroupResult, ...] = ()
    if card.grouped:
        groups = tuple(
            GroupResult(
                name=g.name,
                score=group_scores[g.name],
                weight=g.weight,
                effective_weight=outer.get(g.name, 0.0),
                contribution=outer.get(g.name, 0.0) * (group_scores[g.name] or 0.0),
                missing=group_scores[g.name] is None,
                decided=decided == g.name,
            )
            for g in card.groups
        )
    return HealthResult(overall, card.band(overall), card.composition, tuple(measures), groups, decided)


# Explaining a change ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """One measure's share of a change in score, e.g. "−14: events 38% below their 28-day baseline"."""

    kind: str
    label: str
    delta: float
    words: str

    def __str__(self) -> str:
        return f"{signed(self.delta)}: {self.words}"


def explain_change(
    previous: HealthResult | None,
    current: HealthResult,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    at_least: float = 0.05,
) -> list[Factor]:
    """What moved the score from `previous` to `current`: each measure's change in contribution,
    largest first, in the catalogue's words for the current raw value. Measures whose contribution
    moved by less than `at_least` points are left out."""
    before = {m.kind: m for m in previous.measures} if previous else {}
    factors = []
    seen: set[str] = set()
    for m in current.measures:
        seen.add(m.kind)
        old = before.get(m.kind)
        delta = m.contribution - (old.contribution if old else 0.0)
        if abs(delta) >= at_least:
            words = catalogue.describe(m.kind, m.raw, (params or {}).get(m.kind))
            factors.append(Factor(m.kind, m.label, delta, words))
    for kind, old in before.items():
        if kind not in seen and abs(old.contribution) >= at_least:
            factors.append(Factor(kind, old.label, -old.contribution, f"{old.label.lower()} no longer scored"))
    factors.sort(key=lambda f: -abs(f.delta))
    return factors


def without(card: Scorecard, kinds: Iterable[str]) -> Scorecard:
    """The scorecard with some measures taken out (empty groups go too)."""
    drop = set(kinds)
    groups = []
    for group in card.groups:
        kept = tuple(m for m in group.measures if m.kind not in drop)
        if kept:
            groups.append(replace(group, measures=kept))
    return replace(card, groups=tuple(groups))
