"""The small AND/OR condition language that journeys and playbooks both evaluate (pure).

A condition is JSON data, stored on the milestone or playbook that owns it and validated when that
is saved (``parse``), never when it runs. It is evaluated against a *snapshot*: a flat dict the
caller builds from the account, its health and its usage, so this module needs no database::

    {"account.tier": "enterprise", "health.band": "red", "health.overall": 41,
     "usage.events_7d": 120, "events.Blog Migrated.count": 1, "traits.plan": "gold"}

A leaf compares one attribute with a value::

    {"attr": "health.overall", "op": "lt", "value": 40}
    {"attr": "account.tier", "op": "in", "value": ["enterprise", "strategic"]}
    {"attr": "usage.active_days_30d", "op": "between", "value": [20, 30]}
    {"attr": "traits.plan", "op": "exists", "value": true}
    {"attr": "health.band", "op": "eq", "value": "red", "negate": true}

Groups nest leaves and other groups, at most eight levels deep::

    {"and": [{"attr": "events.Lead Created.count_14d", "op": "gte", "value": 5},
             {"or": [{"attr": "health.band", "op": "eq", "value": "green"},
                     {"not": {"attr": "seats.utilisation", "op": "lt", "value": 0.9}}]}]}

Operators and the values they take:

- ``eq``, ``ne``: a string, number or boolean.
- ``lt``, ``lte``, ``gt``, ``gte``: a number, or a string (ISO dates compare correctly as text).
- ``in``, ``not_in``: a non-empty list of strings, numbers or booleans.
- ``contains``: a string or number; the attribute is a text (substring) or a list (member).
- ``exists``: ``true`` or ``false``.
- ``between``: ``[lo, hi]``, both numbers or both strings, lo <= hi; inclusive at both ends.

Run-time rules, chosen so that a stale or odd snapshot never raises inside the scheduler loop:

- A missing attribute, or one whose value is ``None``, makes the leaf false, whatever the operator,
  except ``exists: false`` which then holds. So ``ne`` and ``not_in`` are false on a missing
  attribute too: "plan is not gold" should not fire for an account that has no plan at all.
- Comparing incompatible types (text with a number, a boolean with anything but a boolean) is
  false, never an error. Booleans are not numbers here, although Python says ``True == 1``.
- Dates and datetimes in the snapshot compare as their ISO text, so ``{"op": "gte",
  "value": "2026-01-01"}`` works on a ``datetime.date``.
- ``negate`` on a leaf (and ``not`` around anything) inverts the final result, *including* the
  missing and mismatched cases: ``{"attr": "x", "op": "eq", "value": 1, "negate": true}`` holds
  when x is missing. Use it deliberately; ``ne`` is usually what is meant.

``Condition.explain(snapshot)`` says, one line per node, what held and what failed with the actual
values ("health.overall 38 < 40 ✓"), so every automation can be previewed against a real account.
``Condition.describe()`` says the whole condition in one line for lists ("(health.overall < 40 and
account.tier in ["enterprise", "strategic"])"). ``Condition.attrs()`` names the attributes read, so the
caller builds only the snapshot it needs. ``Condition.to_data()`` gives back the data ``parse`` took.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from retain.lib.definitions import Checker, did_you_mean, join, one_of, show

MAX_DEPTH = 8

OPS: tuple[str, ...] = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "exists", "between")

_SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥", "in": "in", "not_in": "not in"}
_LEAF_KEYS = ("attr", "op", "value", "negate")
_GROUP_KEYS = ("and", "or", "not")
_MISSING = object()


class ConditionError(ValueError):
    """Everything wrong with a condition, each problem as (path, message)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{path or '(root)'}: {message}" for path, message in errors))


# ---------------------------------------------------------------------------------------------
# Value kinds. Comparisons only happen between values of the same kind.


def _kind(value: object) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _normalise(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _same_kind(a: object, b: object) -> bool:
    kind = _kind(a)
    return kind is not None and kind == _kind(b)


def _show(value: object) -> str:
    if value is _MISSING:
        return "(missing)"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    return str(value)


def _mark(held: bool) -> str:
    return "✓" if held else "✗"


# ---------------------------------------------------------------------------------------------
# The tree.


class Condition(ABC):
    """A parsed condition: evaluate it, explain it, list what it reads, turn it back into data."""

    @abstractmethod
    def evaluate(self, snapshot: Mapping[str, Any]) -> bool: ...

    @abstractmethod
    def to_data(self) -> dict[str, Any]: ...

    @abstractmethod
    def attrs(self) -> frozenset[str]: ...

    @abstractmethod
    def _explain(self, snapshot: Mapping[str, Any], indent: str) -> list[str]: ...

    @abstractmethod
    def describe(self) -> str:
        """The condition in one line, without a snapshot: for lists and summaries."""

    def explain(self, snapshot: Mapping[str, Any]) -> list[str]:
        return self._explain(snapshot, "")


@dataclass(frozen=True)
class Leaf(Condition):
    attr: str
    op: str
    value: Any
    negate: bool = False

    def _holds(self, actual: object) -> bool:
        """The operator alone, before ``negate``; ``actual`` may be _MISSING."""
        op, value = self.op, self.value
        if op == "exists":
            return (actual is not _MISSING) == value
        if actual is _MISSING:
            return False
        if op in ("eq", "ne"):
            if not _same_kind(actual, value):
                return False
            return (actual == value) == (op == "eq")
        if op in ("lt", "lte", "gt", "gte"):
            if not _same_kind(actual, value) or _kind(value) == "bool":
                return False
            if op == "lt":
                return actual < value  # type: ignore[operator]  # _same_kind above makes both numbers, dates or strings
            if op == "lte":
                return actual <= value  # type: ignore[operator]  # _same_kind above makes both numbers, dates or strings
            if op == "gt":
                return actual > value  # type: ignore[operator]  # _same_kind above makes both numbers, dates or strings
            return actual >= value  # type: ignore[operator]  # _same_kind above makes both numbers, dates or strings
        if op in ("in", "not_in"):
            comparable = [item for item in value if _same_kind(actual, item)]
            if not comparable:
                return False
            return (actual in comparable) == (op == "in")
        if op == "contains":
            if isinstance(actual, str):
                return isinstance(value, str) and value in actual
            if isinstance(actual, list | tuple | set | frozenset):
                return any(_same_kind(item, value) and item == value for item in actual)
            return False
        if op == "between":
            lo, hi = value
            if not (_same_kind(actual, lo) and _same_kind(actual, hi)) or _kind(actual) == "bool":
                return False
            return bool(lo <= actual <= hi)
        raise AssertionError(f"unvalidated op {op!r}")  # parse() rejects unknown ops

    def _actual(self, snapshot: Mapping[str, Any]) -> object:
        actual = snapshot.get(self.attr, _MISSING)
        return _MISSING if actual is None else _normalise(actual)

    def evaluate(self, snapshot: Mapping[str, Any]) -> bool:
        return self._holds(self._actual(snapshot)) != self.negate

    def _explain(self, snapshot: Mapping[str, Any], indent: str) -> list[str]:
        actual = self._actual(snapshot)
        held = self._holds(actual) != self.negate
        if self.op == "exists":
            wanted = "exists" if self.value else "does not exist"
            seen = "missing" if actual is _MISSING else f"it is {_show(actual)}"
            text = f"{self.attr} {wanted} ({seen})"
        elif self.op == "between":
            text = f"{self.attr} {_show(actual)} between {_show(self.value[0])} and {_show(self.value[1])}"
        else:
            text = f"{self.attr} {_show(actual)} {_SYMBOLS.get(self.op, self.op)} {_show(self.value)}"
        if actual is not _MISSING and self.op != "exists" and not self._comparable(actual):
            text += " (not comparable)"
        if self.negate:
            text = f"not ({text})"
        return [f"{indent}{text} {_mark(held)}"]

    def _comparable(self, actual: object) -> bool:
        if self.op in ("in", "not_in"):
            return any(_same_kind(actual, item) for item in self.value)
        if self.op == "between":
            return _same_kind(actual, self.value[0]) and _kind(actual) != "bool"
        if self.op == "contains":
            return isinstance(actual, str | list | tuple | set | frozenset)
        if self.op in ("lt", "lte", "gt", "gte"):
            return _same_kind(actual, self.value) and _kind(actual) != "bool"
        return _same_kind(actual, self.value)

    def describe(self) -> str:
        if self.op == "exists":
            text = f"{self.attr} {'exists' if self.value else 'does not exist'}"
        elif self.op == "between":
            text = f"{self.attr} between {_show(self.value[0])} and {_show(self.value[1])}"
        else:
            text = f"{self.attr} {_SYMBOLS.get(self.op, self.op)} {_show(self.value)}"
        return f"not ({text})" if self.negate else text

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"attr": self.attr, "op": self.op, "value": self.value}
        if self.negate:
            data["negate"] = True
        return data

    def attrs(self) -> frozenset[str]:
        return frozenset({self.attr})


@dataclass(frozen=True)
class _Group(Condition):
    """and / or: the same shape, told apart by how the children's results combine."""

    children: tuple[Condition, ...]
    KEY: ClassVar[str]
    WORDS: ClassVar[str]
    combine: ClassVar[Callable[[Iterable[bool]], bool]]

    def evaluate(self, snapshot: Mapping[str, Any]) -> bool:
        return type(self).combine(child.evaluate(snapshot) for child in self.children)

    def _explain(self, snapshot: Mapping[str, Any], indent: str) -> list[str]:
        lines = [f"{indent}{self.WORDS}: {_mark(self.evaluate(snapshot))}"]
        for child in self.children:
            lines += child._explain(snapshot, indent + "  ")
        return lines

    def describe(self) -> str:
        if len(self.children) == 1:
            return self.children[0].describe()
        return "(" + f" {self.KEY} ".join(child.describe() for child in self.children) + ")"

    def to_data(self) -> dict[str, Any]:
        return {self.KEY: [child.to_data() for child in self.children]}

    def attrs(self) -> frozenset[str]:
        return frozenset().union(*(child.attrs() for child in self.children))


@dataclass(frozen=True)
class All(_Group):
    KEY = "and"
    WORDS = "all of"
    combine = all


@dataclass(frozen=True)
class AnyOf(_Group):
    KEY = "or"
    WORDS = "any of"
    combine = any


@dataclass(frozen=True)
class Not(Condition):
    child: Condition

    def evaluate(self, snapshot: Mapping[str, Any]) -> bool:
        return not self.child.evaluate(snapshot)

    def _explain(self, snapshot: Mapping[str, Any], indent: str) -> list[str]:
        return [f"{indent}not: {_mark(self.evaluate(snapshot))}", *self.child._explain(snapshot, indent + "  ")]

    def describe(self) -> str:
        return f"not {self.child.describe()}"

    def to_data(self) -> dict[str, Any]:
        return {"not": self.child.to_data()}

    def attrs(self) -> frozenset[str]:
        return self.child.attrs()


# ---------------------------------------------------------------------------------------------
# Validation at save.


def _is_number(value: object) -> bool:
    return _kind(value) == "number"


def _is_scalar(value: object) -> bool:
    return _kind(value) is not None


class _Parser:
    def __init__(self, known_attrs: Collection[str] | None) -> None:
        self.known_attrs = known_attrs
        self.checker = Checker()

    def error(self, path: str, message: str) -> None:
        self.checker.error(path, message)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(problem.path, problem.message) for problem in self.checker.problems]

    def node(self, data: object, path: str, depth: int) -> Condition | None:
        if depth > MAX_DEPTH:
            self.error(path, f"nested too deeply (at most {MAX_DEPTH} levels)")
            return None
        if not isinstance(data, Mapping):
            self.error(path, "must be an object: a leaf with attr/op/value, or and/or/not")
            return None
        groups = [key for key in _GROUP_KEYS if key in data]
        if groups:
            if len(data) != 1:
                self.error(path, f"{groups[0]!r} must be the only key in its object")
                return None
            return self.group(groups[0], data[groups[0]], join(path, groups[0]), depth)
        return self.leaf(data, path)

    def group(self, key: str, data: object, path: str, depth: int) -> Condition | None:
        if key == "not":
            child = self.node(data, path, depth + 1)
            return Not(child) if child is not None else None
        items = self.checker.items(data, path, of="conditions")
        if not items:
            return None
        children = [self.node(item, join(path, i), depth + 1) for i, item in enumerate(items)]
        if any(child is None for child in children):
            return None
        parsed = tuple(child for child in children if child is not None)
        return All(parsed) if key == "and" else AnyOf(parsed)

    def leaf(self, data: Mapping[str, Any], path: str) -> Condition | None:
        before = len(self.checker.problems)
        for key in sorted(set(data) - set(_LEAF_KEYS), key=str):
            self.checker.unknown(join(path, str(key)), key, _LEAF_KEYS)
        attr = self.checker.text(data, "attr", path, limit=500)
        if attr is not None:
            self.check_attr(attr, join(path, "attr"))
        op = data.get("op")
        if op not in OPS:
            self.error(join(path, "op"), one_of(op, OPS))
        elif "value" not in data:
            self.error(join(path, "value"), "is required")
        else:
            problem = _value_problem(op, data["value"])
            if problem:
                self.error(join(path, "value"), problem)
        negate = self.checker.boolean(data, "negate", path)
        if len(self.checker.problems) > before:
            return None
        value = data["value"]
        return Leaf(attr=str(attr), op=str(op), value=list(value) if isinstance(value, list) else value, negate=negate)

    def check_attr(self, attr: str, path: str) -> None:
        known = self.known_attrs
        if known is None or any(fnmatch.fnmatchcase(attr, pattern) for pattern in known):
            return
        self.error(path, f"unknown attribute {show(attr)}{did_you_mean(attr, known)}")


def _value_problem(op: str, value: object) -> str | None:
    """Why ``value`` does not suit ``op``, or None."""
    items = value if isinstance(value, list) else [value]
    if any(isinstance(item, float) and not math.isfinite(item) for item in items):
        return "numbers must be finite"
    if op in ("eq", "ne"):
        return None if _is_scalar(value) else "must be a text, number or boolean"
    if op in ("lt", "lte", "gt", "gte"):
        return None if _kind(value) in ("number", "text") else "must be a number or a text"
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return "must be a non-empty list"
        if not all(_is_scalar(item) for item in value):
            return "must list only texts, numbers or booleans"
        return None
    if op == "contains":
        return None if _kind(value) in ("number", "text") else "must be a text or a number"
    if op == "exists":
        return None if isinstance(value, bool) else "must be true or false"
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return "must be a list of two bounds, [lo, hi]"
        lo, hi = value
        if not (_kind(lo) in ("number", "text") and _kind(lo) == _kind(hi)):
            return "bounds must be both numbers or both texts"
        if lo > hi:
            return "the lower bound must not exceed the upper bound"
        return None
    raise AssertionError(op)


def parse(data: object, *, known_attrs: Collection[str] | None = None) -> Condition:
    """Validate condition data and build the tree; raise one ConditionError listing every problem.

    ``known_attrs`` may hold exact names and shell-style patterns ("events.*.count", "traits.*").
    """
    parser = _Parser(known_attrs)
    condition = parser.node(data, "", 1)
    if parser.errors or condition is None:
        raise ConditionError(parser.errors)
    return condition


def validate(data: object, *, known_attrs: Collection[str] | None = None) -> list[tuple[str, str]]:
    """The (path, message) problems of condition data; empty when it is valid."""
    try:
        parse(data, known_attrs=known_attrs)
    except ConditionError as exc:
        return exc.errors
    return []


def check(checker: Checker, data: object, path: str, *, known_attrs: Collection[str] | None = None) -> Condition | None:
    """The condition inside a bigger definition: its problems go to that definition's checker,
    under `path`; None when there are any."""
    parser = _Parser(known_attrs)
    condition = parser.node(data, "", 1)
    checker.extend(path, parser.errors)
    return None if parser.errors else condition


__all__: Sequence[str] = [
    "MAX_DEPTH",
    "OPS",
    "All",
    "AnyOf",
    "Condition",
    "ConditionError",
    "Leaf",
    "Not",
    "check",
    "parse",
    "validate",
]
