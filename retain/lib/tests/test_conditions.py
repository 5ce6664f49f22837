from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retain.lib.conditions import MAX_DEPTH, OPS, All, AnyOf, ConditionError, Leaf, Not, parse, validate

SNAPSHOT: dict[str, Any] = {
    "account.tier": "enterprise",
    "account.renews_on": dt.date(2026, 3, 1),
    "account.tags": ["beta", "eu"],
    "account.mrr": Decimal("1250.00"),
    "health.band": "red",
    "health.overall": 38,
    "health.change_7d": -12.5,
    "usage.events_7d": 120,
    "events.Blog Migrated.count": 1,
    "traits.plan": "gold",
    "traits.notes": "migrating from the legacy blog",
    "traits.trial": False,
    "seats.utilisation": 0.92,
    "traits.cleared": None,
}


def leaf(attr: str, op: str, value: Any, negate: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"attr": attr, "op": op, "value": value}
    if negate:
        data["negate"] = True
    return data


# Every operator: holds, fails, the attribute missing, and a mismatched type.
@pytest.mark.parametrize(
    ("attr", "op", "value", "expected"),
    [
        # eq
        ("health.band", "eq", "red", True),
        ("health.band", "eq", "green", False),
        ("health.missing", "eq", "red", False),
        ("health.overall", "eq", "38", False),
        ("traits.trial", "eq", False, True),
        ("traits.trial", "eq", 0, False),  # a boolean is not a number here
        ("usage.events_7d", "eq", 120.0, True),
        # ne
        ("health.band", "ne", "green", True),
        ("health.band", "ne", "red", False),
        ("health.missing", "ne", "red", False),
        ("health.overall", "ne", "40", False),
        # lt / lte / gt / gte
        ("health.overall", "lt", 40, True),
        ("health.overall", "lt", 38, False),
        ("health.overall", "lte", 38, True),
        ("health.overall", "lte", 37, False),
        ("health.overall", "gt", 37, True),
        ("health.overall", "gt", 38, False),
        ("health.overall", "gte", 38, True),
        ("health.overall", "gte", 39, False),
        ("health.missing", "lt", 40, False),
        ("health.band", "lt", 40, False),
        ("traits.trial", "lt", 1, False),
        ("health.change_7d", "lte", -10, True),
        ("account.mrr", "gte", 1000, True),
        ("account.mrr", "gt", 1250.5, False),
        ("account.renews_on", "gte", "2026-01-01", True),
        ("account.renews_on", "lt", "2026-01-01", False),
        ("cleared", "lt", 3, False),
        # in / not_in
        ("account.tier", "in", ["enterprise", "strategic"], True),
        ("account.tier", "in", ["smb"], False),
        ("account.missing", "in", ["smb"], False),
        ("health.overall", "in", ["38"], False),
        ("health.overall", "in", ["38", 38], True),
        ("account.tier", "not_in", ["smb", "mid_market"], True),
        ("account.tier", "not_in", ["enterprise"], False),
        ("account.missing", "not_in", ["smb"], False),
        ("health.overall", "not_in", ["a", "b"], False),
        # contains
        ("traits.notes", "contains", "legacy", True),
        ("traits.notes", "contains", "wordpress", False),
        ("account.tags", "contains", "eu", True),
        ("account.tags", "contains", "us", False),
        ("traits.missing", "contains", "eu", False),
        ("health.overall", "contains", 3, False),
        ("traits.notes", "contains", 3, False),
        # exists
        ("traits.plan", "exists", True, True),
        ("traits.plan", "exists", False, False),
        ("traits.missing", "exists", True, False),
        ("traits.missing", "exists", False, True),
        ("traits.cleared", "exists", False, True),  # None counts as missing
        # between (inclusive)
        ("health.overall", "between", [30, 40], True),
        ("health.overall", "between", [38, 38], True),
        ("health.overall", "between", [39, 50], False),
        ("health.missing", "between", [30, 40], False),
        ("health.band", "between", [30, 40], False),
        ("traits.trial", "between", [0, 1], False),
        ("health.band", "between", ["amber", "yellow"], True),
        ("seats.utilisation", "between", [0.9, 1], True),
    ],
)
def test_each_operator_holds_fails_and_is_false_when_missing_or_mismatched(
    attr: str, op: str, value: Any, expected: bool
) -> None:
    condition = parse(leaf(attr, op, value))
    assert condition.evaluate(SNAPSHOT) is expected
    # negate inverts every outcome, including the missing and mismatched ones
    assert parse(leaf(attr, op, value, negate=True)).evaluate(SNAPSHOT) is (not expected)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"and": [leaf("health.band", "eq", "red"), leaf("health.overall", "lt", 40)]}, True),
        ({"and": [leaf("health.band", "eq", "red"), leaf("health.overall", "lt", 30)]}, False),
        ({"or": [leaf("health.band", "eq", "green"), leaf("health.overall", "lt", 40)]}, True),
        ({"or": [leaf("health.band", "eq", "green"), leaf("health.missing", "lt", 40)]}, False),
        ({"not": leaf("health.band", "eq", "red")}, False),
        ({"not": {"not": leaf("health.band", "eq", "red")}}, True),
        (
            {
                "and": [
                    leaf("account.tier", "in", ["enterprise", "strategic"]),
                    {"or": [leaf("seats.utilisation", "gte", 0.9), {"not": leaf("traits.plan", "exists", True)}]},
                ]
            },
            True,
        ),
        ({"and": [leaf("events.Blog Migrated.count", "gte", 1)]}, True),
    ],
)
def test_groups_combine_and_nest(data: dict[str, Any], expected: bool) -> None:
    assert parse(data).evaluate(SNAPSHOT) is expected


def test_a_condition_lists_the_attributes_it_reads() -> None:
    condition = parse(
        {
            "and": [
                leaf("health.band", "eq", "red"),
                {"or": [leaf("usage.events_7d", "lt", 10), {"not": leaf("health.band", "ne", "amber")}]},
            ]
        }
    )
    assert condition.attrs() == {"health.band", "usage.events_7d"}


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (leaf("health.overall", "lt", 40), ["health.overall 38 < 40 ✓"]),
        (leaf("health.overall", "gte", 40), ["health.overall 38 ≥ 40 ✗"]),
        (leaf("health.band", "ne", "red"), ['health.band "red" ≠ "red" ✗']),
        (
            leaf("account.tier", "in", ["enterprise", "strategic"]),
            ['account.tier "enterprise" in ["enterprise", "strategic"] ✓'],
        ),
        (leaf("account.tier", "not_in", ["smb"]), ['account.tier "enterprise" not in ["smb"] ✓']),
        (leaf("traits.plan", "exists", True), ['traits.plan exists (it is "gold") ✓']),
        (leaf("traits.missing", "exists", True), ["traits.missing exists (missing) ✗"]),
        (leaf("traits.missing", "exists", False), ["traits.missing does not exist (missing) ✓"]),
        (leaf("health.overall", "between", [30, 40]), ["health.overall 38 between 30 and 40 ✓"]),
        (
            leaf("traits.notes", "contains", "legacy"),
            ['traits.notes "migrating from the legacy blog" contains "legacy" ✓'],
        ),
        (leaf("health.missing", "lt", 40), ["health.missing (missing) < 40 ✗"]),
        (leaf("health.band", "lt", 40), ['health.band "red" < 40 (not comparable) ✗']),
        (leaf("traits.trial", "eq", True), ["traits.trial false = true ✗"]),
        (leaf("health.band", "eq", "red", negate=True), ['not (health.band "red" = "red") ✗']),
        (leaf("account.renews_on", "gte", "2026-01-01"), ['account.renews_on "2026-03-01" ≥ "2026-01-01" ✓']),
        (
            {"and": [leaf("health.band", "eq", "red"), {"or": [leaf("usage.events_7d", "lt", 10)]}]},
            ["all of: ✗", '  health.band "red" = "red" ✓', "  any of: ✗", "    usage.events_7d 120 < 10 ✗"],
        ),
        ({"not": leaf("health.overall", "lt", 40)}, ["not: ✗", "  health.overall 38 < 40 ✓"]),
    ],
)
def test_explain_says_what_held_and_failed_with_the_actual_values(data: dict[str, Any], lines: list[str]) -> None:
    assert parse(data).explain(SNAPSHOT) == lines


def nested(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = leaf("health.overall", "lt", 40)
    for _ in range(depth - 1):
        data = {"and": [data]}
    return data


KNOWN = ["health.overall", "health.band", "account.tier", "events.*.count", "traits.*"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ("health < 40", [("", "must be an object: a leaf with attr/op/value, or and/or/not")]),
        (
            {"attr": "health.overall", "op": "below", "value": 40},
            [("op", "must be one of eq, ne, lt, lte, gt, gte, in, not_in, contains, exists, between (got 'below')")],
        ),
        ({"attr": "health.overall", "op": "lt"}, [("value", "is required")]),
        ({"op": "lt", "value": 40}, [("attr", "is required")]),
        ({"attr": " ", "op": "lt", "value": 40}, [("attr", "is required")]),
        (
            {**leaf("health.overall", "lt", 40), "unit": "points"},
            [("unit", "unknown key (known: attr, op, value, negate)")],
        ),
        ({**leaf("health.overall", "lt", 40), "negate": "yes"}, [("negate", "must be true or false")]),
        (leaf("health.band", "eq", ["red"]), [("value", "must be a text, number or boolean")]),
        (leaf("health.band", "eq", None), [("value", "must be a text, number or boolean")]),
        (leaf("health.overall", "lt", True), [("value", "must be a number or a text")]),
        (leaf("account.tier", "in", "enterprise"), [("value", "must be a non-empty list")]),
        (leaf("account.tier", "in", []), [("value", "must be a non-empty list")]),
        (leaf("account.tier", "not_in", [{"a": 1}]), [("value", "must list only texts, numbers or booleans")]),
        (leaf("traits.plan", "contains", ["a"]), [("value", "must be a text or a number")]),
        (leaf("traits.plan", "exists", "yes"), [("value", "must be true or false")]),
        (leaf("health.overall", "between", [1]), [("value", "must be a list of two bounds, [lo, hi]")]),
        (leaf("health.overall", "between", [1, "9"]), [("value", "bounds must be both numbers or both texts")]),
        (leaf("health.overall", "between", [9, 1]), [("value", "the lower bound must not exceed the upper bound")]),
        ({"and": []}, [("and", "must be a non-empty list of conditions")]),
        ({"or": leaf("health.overall", "lt", 40)}, [("or", "must be a non-empty list of conditions")]),
        (
            {"and": [leaf("health.overall", "lt", 40)], "or": []},
            [("", "'and' must be the only key in its object")],
        ),
        (
            {
                "and": [
                    leaf("health.overall", "lt", 40),
                    leaf("health.band", "eq", [1]),
                    {"or": [{"not": leaf("x", "nope", 1)}]},
                ]
            },
            [
                ("and[1].value", "must be a text, number or boolean"),
                (
                    "and[2].or[0].not.op",
                    "must be one of eq, ne, lt, lte, gt, gte, in, not_in, contains, exists, between"
                    " (got 'nope'; did you mean 'ne'?)",
                ),
            ],
        ),
        (nested(MAX_DEPTH + 1), [(".".join(["and[0]"] * MAX_DEPTH), "nested too deeply (at most 8 levels)")]),
    ],
)
def test_parse_reports_every_problem_with_its_path(data: Any, errors: list[tuple[str, str]]) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(data)
    assert caught.value.errors == errors
    assert validate(data) == errors


def test_numbers_must_be_finite() -> None:
    assert validate(leaf("health.overall", "lt", float("nan"))) == [("value", "numbers must be finite")]
    assert validate(leaf("health.overall", "between", [0, float("inf")])) == [("value", "numbers must be finite")]


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (leaf("health.overall", "lt", 40), "health.overall < 40"),
        (leaf("traits.plan", "exists", False), "traits.plan does not exist"),
        (leaf("usage.active_days_30d", "between", [20, 30]), "usage.active_days_30d between 20 and 30"),
        (leaf("health.band", "eq", "red", negate=True), 'not (health.band = "red")'),
        ({"and": [leaf("health.band", "eq", "red")]}, 'health.band = "red"'),
        (
            {
                "and": [
                    leaf("account.tier", "in", ["enterprise", "strategic"]),
                    {"or": [leaf("seats.utilisation", "gte", 0.9), {"not": leaf("traits.plan", "exists", True)}]},
                ]
            },
            '(account.tier in ["enterprise", "strategic"] and (seats.utilisation ≥ 0.9 or not traits.plan exists))',
        ),
    ],
)
def test_describe_says_the_condition_in_one_line(data: dict[str, Any], text: str) -> None:
    assert parse(data).describe() == text


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert parse(nested(MAX_DEPTH)).evaluate(SNAPSHOT) is True


def test_an_unknown_attribute_is_rejected_with_a_suggestion() -> None:
    with pytest.raises(ConditionError) as caught:
        parse({"or": [leaf("helth.overall", "lt", 40), leaf("zzz", "eq", 1)]}, known_attrs=KNOWN)
    assert caught.value.errors == [
        ("or[0].attr", "unknown attribute 'helth.overall' (did you mean 'health.overall'?)"),
        ("or[1].attr", "unknown attribute 'zzz'"),
    ]
    assert str(caught.value).startswith("or[0].attr: unknown attribute 'helth.overall'")


def test_known_attributes_may_be_patterns() -> None:
    data = {"and": [leaf("events.Blog Migrated.count", "gte", 1), leaf("traits.plan", "eq", "gold")]}
    assert validate(data, known_attrs=KNOWN) == []
    assert validate(leaf("events.Blog Migrated.last_seen", "exists", True), known_attrs=KNOWN) != []


def test_parse_builds_the_tree() -> None:
    data = {"and": [leaf("a", "eq", 1), {"not": leaf("b", "exists", True, negate=True)}]}
    assert parse(data) == All((Leaf("a", "eq", 1), Not(Leaf("b", "exists", True, negate=True))))


@pytest.mark.parametrize(
    "data",
    [
        leaf("health.overall", "lt", 40),
        leaf("health.band", "eq", "red", negate=True),
        leaf("health.overall", "between", [30, 40]),
        {
            "and": [
                leaf("a", "in", ["x", 1, True]),
                {"or": [leaf("b", "exists", False), {"not": leaf("c", "gte", "2026")}]},
            ]
        },
    ],
)
def test_to_data_round_trips(data: dict[str, Any]) -> None:
    condition = parse(data)
    assert condition.to_data() == data
    assert parse(condition.to_data()) == condition


def test_a_strange_snapshot_value_never_raises() -> None:
    snapshot = {"x": object(), "y": {"nested": 1}, "z": [1, "a", None]}
    for op, value in [("eq", 1), ("lt", 1), ("in", [1]), ("contains", 1), ("between", [0, 2]), ("exists", True)]:
        for attr in ("x", "y", "z"):
            parse(leaf(attr, op, value)).evaluate(snapshot)
            parse(leaf(attr, op, value)).explain(snapshot)


# Properties over random leaves and snapshots. The machine running the suite is shared, so slow
# generation is not a failure here.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)

ATTRS = ["a", "b", "c"]
scalars = st.one_of(st.integers(-5, 5), st.sampled_from(["x", "y", "z"]), st.booleans())


@st.composite
def leaves(draw: st.DrawFn) -> Leaf:
    op = draw(st.sampled_from(OPS))
    if op in ("eq", "ne"):
        value: Any = draw(scalars)
    elif op in ("lt", "lte", "gt", "gte", "contains"):
        value = draw(st.one_of(st.integers(-5, 5), st.sampled_from(["x", "y", "z"])))
    elif op in ("in", "not_in"):
        value = draw(st.lists(scalars, min_size=1, max_size=3))
    elif op == "exists":
        value = draw(st.booleans())
    else:
        lo, hi = sorted(draw(st.lists(st.integers(-5, 5), min_size=2, max_size=2)))
        value = [lo, hi]
    return Leaf(draw(st.sampled_from(ATTRS)), op, value, draw(st.booleans()))


snapshots = st.dictionaries(
    st.sampled_from(ATTRS), st.one_of(scalars, st.none(), st.lists(scalars, max_size=3), st.text(max_size=3))
)


@relaxed
@given(leaves(), snapshots)
def test_not_not_is_the_condition_itself(condition: Leaf, snapshot: dict[str, Any]) -> None:
    assert Not(Not(condition)).evaluate(snapshot) == condition.evaluate(snapshot)


@relaxed
@given(leaves(), snapshots)
def test_negate_is_not(condition: Leaf, snapshot: dict[str, Any]) -> None:
    flipped = Leaf(condition.attr, condition.op, condition.value, not condition.negate)
    assert flipped.evaluate(snapshot) == Not(condition).evaluate(snapshot)


@relaxed
@given(st.lists(leaves(), min_size=1, max_size=4), snapshots)
def test_de_morgan_holds_for_and_and_or(children: list[Leaf], snapshot: dict[str, Any]) -> None:
    negated = tuple(Not(child) for child in children)
    assert Not(All(tuple(children))).evaluate(snapshot) == AnyOf(negated).evaluate(snapshot)
    assert Not(AnyOf(tuple(children))).evaluate(snapshot) == All(negated).evaluate(snapshot)


@relaxed
@given(st.lists(leaves(), min_size=1, max_size=4))
def test_random_conditions_round_trip_through_data(children: list[Leaf]) -> None:
    condition = AnyOf((All(tuple(children)), Not(children[0])))
    assert parse(condition.to_data()) == condition
