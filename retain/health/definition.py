"""Scorecards as YAML documents: parse, validate and dump (pure: PyYAML, no Django).

    name: Community (tech-touch)
    description: Usage-led ...
    applies_to: {tier: [community]}     # accounts-list criteria, or {default: true}
    priority: 30                        # lower is tried first
    composition: weighted_average       # or worst_of, additive (with neutral: 50)
    missing: reweight                   # or zero; a measure may override it
    bands: {red_below: 40, green_from: 70}
    groups:
      - name: usage
        weight: 3
        measures:
          - kind: active_days
            weight: 2
            scoring:
              linear: {from: 4, to: 20}

A scorecard has either `groups` (each with `measures`) or top-level `measures`. Scoring rules:
`bands` and `points` (ordered steps `{below: x, score: s}` or `{at_least: x, score: s}`, the last
one `{else: s}`; points give `points:` instead of `score:`), `linear` (`from` scores 0, `to` 100)
and `bounded_linear` (`floor` scores `min_score`, `cap` scores `max_score`).

Every problem is reported at once, as a path into the document and the line and column it is at
(retain.lib.definitions, as for every definition): `scorecard.yaml:14:9: groups[0].measures[2].kind:
'active_user' is not a measure kind (did you mean 'active_users_per_seat'?)`. `dump` writes the
canonical form; parsing it gives the same scorecard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from retain.health import catalogue
from retain.health.scoring import (
    ADDITIVE,
    AT_LEAST,
    BELOW,
    COMPOSITIONS,
    MISSING_RULES,
    REWEIGHT,
    WEIGHTED_AVERAGE,
    WORST_OF,
    Bands,
    BoundedLinear,
    Group,
    Linear,
    Measure,
    Points,
    Rule,
    Scorecard,
)
from retain.lib.definitions import Checker, DefinitionError, Document, Problem, did_you_mean, load

# The accounts-list criteria (accounts.segments.KNOWN); the service re-validates their values.
CRITERIA = ("q", "tier", "edition", "stage", "owner", "industry", "renewal_within_days", "arr_min", "arr_max", "traits")
TOP_FIELDS = (
    "name",
    "description",
    "applies_to",
    "priority",
    "composition",
    "neutral",
    "missing",
    "bands",
    "groups",
    "measures",
)
GROUP_FIELDS = ("name", "weight", "measures")
MEASURE_FIELDS = ("kind", "label", "weight", "params", "scoring", "missing")
RULES = ("bands", "linear", "bounded_linear", "points")
DEFAULT_PRIORITY = 100
DEFAULT_RED_BELOW = 40
DEFAULT_GREEN_FROM = 70
DEFAULT_NEUTRAL = 50


SOURCE = "scorecard.yaml"


def parse(text: str, *, source: str = SOURCE) -> Scorecard:
    """The scorecard a YAML document defines; DefinitionError lists every problem with its line and column."""
    document = load(text, source=source)
    return from_data(document.data, document=document, source=source)


def check(text: str, *, source: str = SOURCE) -> list[Problem]:
    try:
        parse(text, source=source)
    except DefinitionError as error:
        return error.problems
    return []


def from_data(data: Any, *, document: Document | None = None, source: str = SOURCE) -> Scorecard:
    """The scorecard from already-parsed data (YAML or a JSON request body)."""
    reader = _Reader()
    card = reader.scorecard(data)
    reader.raise_if_any(source, document)
    if card is None:
        raise DefinitionError([Problem("", "is not a scorecard")], source)
    return card


def located(text: str, problems: Sequence[Problem], *, source: str = SOURCE) -> list[str]:
    """Problems found after parsing (against the workspace), as lines placed in the document."""
    return load(text, source=source).error(problems).lines


def to_data(card: Scorecard) -> dict[str, Any]:
    """The canonical document of a scorecard, in field order (what `dump` writes)."""
    data: dict[str, Any] = {"name": card.name}
    if card.description:
        data["description"] = card.description
    if card.applies_to:
        data["applies_to"] = dict(card.applies_to)
    data["priority"] = card.priority
    data["composition"] = card.composition
    if card.composition == ADDITIVE:
        data["neutral"] = card.neutral
    data["missing"] = card.missing
    data["bands"] = {"red_below": card.red_below, "green_from": card.green_from}
    weighted = card.composition != ADDITIVE and (card.grouped or card.composition != WORST_OF)
    if card.grouped:
        data["groups"] = [
            {
                "name": group.name,
                **({"weight": group.weight} if card.composition == WEIGHTED_AVERAGE else {}),
                "measures": [_measure_data(m, card.composition != ADDITIVE) for m in group.measures],
            }
            for group in card.groups
        ]
    else:
        data["measures"] = [_measure_data(m, weighted) for m in card.measures]
    return data


def dump(card: Scorecard) -> str:
    return yaml.dump(to_data(card), Dumper=_Dumper, sort_keys=False, default_flow_style=None, allow_unicode=True)


def _measure_data(measure: Measure, weighted: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": measure.kind, "label": measure.label}
    if weighted:
        data["weight"] = measure.weight
    if measure.params:
        data["params"] = dict(measure.params)
    data["scoring"] = _rule_data(measure.scoring)
    if measure.missing:
        data["missing"] = measure.missing
    return data


def _rule_data(rule: Rule) -> dict[str, Any]:
    if isinstance(rule, Bands):  # and Points
        result = "points" if rule.is_points else "score"
        steps: list[dict[str, Any]] = [{rule.comparison: t, result: s} for t, s in rule.steps]
        steps.append({"else": rule.otherwise})
        return {rule.name: steps}
    if isinstance(rule, Linear):
        return {"linear": {"from": rule.start, "to": rule.end}}
    return {
        "bounded_linear": {
            "floor": rule.floor,
            "cap": rule.cap,
            "min_score": rule.min_score,
            "max_score": rule.max_score,
        }
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a literal block, so descriptions read as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


# Reading ------------------------------------------------------------------------------------------


class _Reader(Checker):
    """The scorecard's own rules, on top of the field readers every definition shares."""

    # The document

    def scorecard(self, raw: Any) -> Scorecard | None:
        data = self.mapping(raw, "", TOP_FIELDS)
        if data is None:
            return None
        name = self.text(data, "name", "", required=True)
        description = self.text(data, "description", "", required=False, limit=5000) or ""
        applies_to = self.applies_to(data)
        priority = self.number(data, "priority", "", default=DEFAULT_PRIORITY, low=0, high=100000, whole=True)
        composition = self.choice(data, "composition", "", COMPOSITIONS) or WEIGHTED_AVERAGE
        missing = self.choice(data, "missing", "", MISSING_RULES) or REWEIGHT
        neutral = DEFAULT_NEUTRAL
        if "neutral" in data and composition != ADDITIVE:
            self.error("neutral", "only an additive scorecard has a neutral start")
        elif composition == ADDITIVE:
            neutral = self.number(data, "neutral", "", default=DEFAULT_NEUTRAL, low=0, high=100)
        red_below, green_from = self.bands(data)

        groups: list[Group] = []
        grouped = "groups" in data
        if grouped and "measures" in data:
            self.error("measures", "give either groups or top-level measures, not both")
        elif not grouped and "measures" not in data:
            self.error("groups", "is required (or top-level measures)")
        seen: dict[str, str] = {}
        if grouped:
            items = self.items(data["groups"], "groups")
            names: set[str] = set()
            for index, item in enumerate(items):
                group_name = item.get("name") if isinstance(item, dict) else None
                if isinstance(group_name, str) and group_name in names:
                    self.error(f"groups[{index}].name", f"{group_name!r} is the name of an earlier group")
                names.add(str(group_name))
                group = self.group(item, f"groups[{index}]", composition, seen)
                if group is not None:
                    groups.append(group)
        elif "measures" in data:
            weighted = composition == WEIGHTED_AVERAGE
            measures = self.measures(data["measures"], "measures", composition, seen, weighted)
            groups.append(Group("", tuple(measures)))
        if self.failed() or name is None:
            return None
        return Scorecard(
            name=name,
            description=description,
            applies_to=applies_to,
            priority=priority,
            composition=composition,
            neutral=neutral,
            missing=missing,
            red_below=red_below,
            green_from=green_from,
            groups=tuple(groups),
            grouped=grouped,
        )

    def applies_to(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if "applies_to" not in data:
            return {}
        criteria = self.mapping(data["applies_to"], "applies_to", ("default", *CRITERIA))
        if criteria is None:
            return {}
        if "default" in criteria:
            if criteria["default"] is not True:
                self.error("applies_to.default", "must be true (leave it out for a scorecard with criteria)")
            elif len(criteria) > 1:
                self.error("applies_to.default", "the default scorecard applies to every account: give no criteria")
            return {"default": True}
        for key, value in criteria.items():
            path = f"applies_to.{key}"
            if key == "traits":
                if not isinstance(value, dict):
                    self.error(path, "must be an object of trait name to value")
            elif key in ("renewal_within_days", "arr_min", "arr_max"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    self.error(path, "must be a number of at least 0")
            elif key == "q":
                if not isinstance(value, str):
                    self.error(path, "must be a text")
            else:
                values = value if isinstance(value, list) else [value]
                if not values or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
                    self.error(path, "must be a value or a list of values")
        return dict(criteria)

    def bands(self, data: Mapping[str, Any]) -> tuple[float, float]:
        red, green = DEFAULT_RED_BELOW, DEFAULT_GREEN_FROM
        if "bands" not in data:
            return red, green
        bands = self.mapping(data["bands"], "bands", ("red_below", "green_from"))
        if bands is None:
            return red, green
        red_below = self.number(bands, "red_below", "bands", default=red, low=0, high=100)
        green_from = self.number(bands, "green_from", "bands", default=green, low=0, high=100)
        if red_below is not None and green_from is not None and red_below >= green_from:
            self.error("bands.green_from", f"must be above red_below ({red_below:g})")
        return (red_below if red_below is not None else red), (green_from if green_from is not None else green)

    def group(self, raw: Any, path: str, composition: str, seen: dict[str, str]) -> Group | None:
        data = self.mapping(raw, path, GROUP_FIELDS)
        if data is None:
            return None
        name = self.text(data, "name", path, required=True, limit=100)
        weight = 1
        if composition != WEIGHTED_AVERAGE and "weight" in data:
            why = "points add up as they are" if composition == ADDITIVE else "the lowest group decides"
            self.error(f"{path}.weight", f"group weights have no effect in a {composition} scorecard: {why}")
        else:
            weight = self.number(data, "weight", path, default=1, positive=True)
        if "measures" not in data:
            self.error(f"{path}.measures", "is required")
            return None
        measures = self.measures(data["measures"], f"{path}.measures", composition, seen, composition != ADDITIVE)
        if name is None or weight is None or not measures:
            return None
        return Group(name, tuple(measures), weight)

    def measures(self, value: Any, path: str, composition: str, seen: dict[str, str], weighted: bool) -> list[Measure]:
        measures = []
        for index, item in enumerate(self.items(value, path)):
            measure = self.measure(item, f"{path}[{index}]", composition, weighted)
            if measure is None:
                continue
            if measure.kind in seen:
                self.error(f"{path}[{index}].kind", f"{measure.kind!r} is already measured at {seen[measure.kind]}")
                continue
            seen[measure.kind] = f"{path}[{index}]"
            measures.append(measure)
        return measures

    def measure(self, raw: Any, path: str, composition: str, weighted: bool) -> Measure | None:
        data = self.mapping(raw, path, MEASURE_FIELDS)
        if data is None:
            return None
        kind_path = f"{path}.kind"
        kind = data.get("kind")
        known: catalogue.MeasureKind | None = None
        if "kind" not in data:
            self.error(kind_path, "is required")
        elif not isinstance(kind, str) or kind not in catalogue.MEASURES:
            self.error(kind_path, f"{kind!r} is not a measure kind{did_you_mean(kind, sorted(catalogue.MEASURES))}")
        else:
            known = catalogue.MEASURES[kind]
        label = self.text(data, "label", path, required=True, limit=100) if "label" in data else None
        weight = 1
        if not weighted and "weight" in data:
            why = "points add up as they are" if composition == ADDITIVE else "the lowest measure decides"
            article = "an" if composition == ADDITIVE else "a"
            self.error(
                f"{path}.weight", f"weights have no effect in {article} {composition} scorecard without groups: {why}"
            )
        elif weighted:
            weight = self.number(data, "weight", path, default=1, positive=True)
        params = self.params(data, path, known)
        missing = self.choice(data, "missing", path, MISSING_RULES)
        rule = self.rule(data, path, composition)
        if known is None or rule is None or weight is None or params is None:
            return None
        return Measure(
            kind=known.kind,
            label=label or known.name,
            scoring=rule,
            weight=weight,
            params=params,
            missing=missing,
        )

    def params(self, data: Mapping[str, Any], path: str, known: catalogue.MeasureKind | None) -> dict[str, Any] | None:
        if "params" not in data:
            return {}
        params_path = f"{path}.params"
        if known is not None and not known.params:
            self.error(params_path, f"{known.kind} takes no parameters")
            return None
        params = self.mapping(data["params"], params_path, tuple(known.params) if known else ())
        if params is None or known is None:
            return None
        ok = True
        for key, value in params.items():
            if key in known.params:
                problem = known.params[key].check(value)
                if problem:
                    self.error(f"{params_path}.{key}", problem)
                    ok = False
        return dict(params) if ok and len(params) == len(set(params) & set(known.params)) else None

    # Scoring rules

    def rule(self, data: Mapping[str, Any], path: str, composition: str) -> Rule | None:
        rule_path = f"{path}.scoring"
        if "scoring" not in data:
            self.error(rule_path, "is required")
            return None
        scoring = self.mapping(data["scoring"], rule_path, RULES)
        if scoring is None:
            return None
        given = [key for key in scoring if key in RULES]
        if len(scoring) != 1 or not given:
            if len(given) > 1:
                self.error(rule_path, f"give one rule, not {len(given)} ({', '.join(given)})")
            elif not scoring:
                self.error(rule_path, f"give one rule: {', '.join(RULES)}")
            return None
        name = given[0]
        if (name == "points") != (composition == ADDITIVE):
            if composition == ADDITIVE:
                self.error(f"{rule_path}.{name}", "an additive scorecard scores measures with points")
            else:
                self.error(f"{rule_path}.{name}", f"points only add up in an additive scorecard, not {composition}")
            return None
        body, body_path = scoring[name], f"{rule_path}.{name}"
        if name == "linear":
            return self.linear(body, body_path)
        if name == "bounded_linear":
            return self.bounded_linear(body, body_path)
        return self.steps(body, body_path, points=name == "points")

    def linear(self, raw: Any, path: str) -> Linear | None:
        body = self.mapping(raw, path, ("from", "to"))
        if body is None:
            return None
        start = self.number(body, "from", path)
        end = self.number(body, "to", path)
        if start is None or end is None:
            return None
        if start == end:
            self.error(f"{path}.to", "must differ from `from` (`from` scores 0, `to` scores 100)")
            return None
        return Linear(start, end)

    def bounded_linear(self, raw: Any, path: str) -> BoundedLinear | None:
        body = self.mapping(raw, path, ("floor", "cap", "min_score", "max_score"))
        if body is None:
            return None
        floor = self.number(body, "floor", path)
        cap = self.number(body, "cap", path)
        low = self.number(body, "min_score", path, low=0, high=100)
        high = self.number(body, "max_score", path, low=0, high=100)
        if None in (floor, cap, low, high):
            return None
        if floor == cap:
            self.error(f"{path}.cap", "must differ from floor")
            return None
        if low >= high:
            self.error(f"{path}.max_score", f"must be above min_score ({low:g})")
            return None
        return BoundedLinear(floor, cap, low, high)

    def steps(self, raw: Any, path: str, *, points: bool) -> Bands | None:
        result, low = ("points", -100) if points else ("score", 0)
        steps: list[tuple[float, float]] = []
        otherwise = None
        comparison: str | None = None
        items = self.items(raw, path)
        for index, item in enumerate(items):
            step_path = f"{path}[{index}]"
            if isinstance(item, dict) and "else" in item:
                step = self.mapping(item, step_path, ("else",))
                value = self.number(item, "else", step_path, low=low, high=100)
                if index != len(items) - 1:
                    self.error(f"{step_path}.else", "must be the last step")
                elif step is not None:
                    otherwise = value
                continue
            step = self.mapping(item, step_path, (BELOW, AT_LEAST, result))
            if step is None:
                continue
            given = [key for key in (BELOW, AT_LEAST) if key in step]
            if len(given) != 1:
                self.error(step_path, f"give one threshold: {BELOW} or {AT_LEAST}")
                continue
            threshold = self.number(step, given[0], step_path)
            value = self.number(step, result, step_path, low=low, high=100)
            if comparison is None:
                comparison = given[0]
            elif given[0] != comparison:
                self.error(f"{step_path}.{given[0]}", f"steps must all use {comparison}")
                continue
            if threshold is None or value is None:
                continue
            if steps:
                before = steps[-1][0]
                if comparison == BELOW and threshold <= before:
                    self.error(f"{step_path}.below", f"must be greater than {before:g} (the threshold before it)")
                if comparison == AT_LEAST and threshold >= before:
                    self.error(f"{step_path}.at_least", f"must be less than {before:g} (the threshold before it)")
            steps.append((threshold, value))
        if items and otherwise is None and not any(isinstance(i, dict) and "else" in i for i in items):
            self.error(f"{path}[{len(items)}]", f"end with an `else` step: {{else: <{result}>}}")
        if items and not steps and otherwise is not None and comparison is None:
            self.error(path, "needs at least one threshold step before `else`")
        if otherwise is None or comparison is None or len(steps) != len(items) - 1:
            return None
        cls = Points if points else Bands
        return cls(comparison, tuple(steps), otherwise)
