"""Scorecard YAML: what parses, what is refused (with path and line), and that dump round-trips."""

from __future__ import annotations

import textwrap

import pytest

from retain.health.defaults import FILES, default_scorecard_text, default_scorecards
from retain.health.definition import DefinitionError, check, dump, from_data, parse
from retain.health.scoring import (
    ADDITIVE,
    AT_LEAST,
    BELOW,
    WORST_OF,
    ZERO,
    Bands,
    BoundedLinear,
    Linear,
    Points,
    score,
)

VALID = """\
name: Mid-touch
description: |
  Usage first, then the relationship.
applies_to: {tier: [enterprise], arr_min: 10000}
priority: 20
composition: weighted_average
missing: reweight
bands: {red_below: 35, green_from: 75}
groups:
- name: usage
  weight: 3
  measures:
  - kind: active_days
    weight: 2
    scoring:
      linear: {from: 4, to: 20}
  - kind: key_events
    label: Milestones
    params: {events: [Blog Migrated, CRM Integrated]}
    scoring:
      bands:
      - {below: 1, score: 0}
      - {below: 2, score: 50}
      - {else: 100}
- name: relationship
  measures:
  - kind: days_since_touchpoint
    missing: zero
    scoring:
      bounded_linear: {floor: 60, cap: 14, min_score: 10, max_score: 100}
  - kind: nps
    scoring:
      bands:
      - {at_least: 30, score: 100}
      - {at_least: -20, score: 50}
      - {else: 0}
"""


def lines_of(text: str) -> list[str]:
    return [problem.format("scorecard.yaml") for problem in check(textwrap.dedent(text))]


def test_a_valid_document_parses_into_a_scorecard() -> None:
    card = parse(VALID)
    assert card.name == "Mid-touch"
    assert card.description == "Usage first, then the relationship.\n"
    assert card.applies_to == {"tier": ["enterprise"], "arr_min": 10000}
    assert (card.priority, card.red_below, card.green_from) == (20, 35, 75)
    assert [g.name for g in card.groups] == ["usage", "relationship"]
    assert [g.weight for g in card.groups] == [3, 1]
    days, events, touch, nps = card.measures
    assert days.scoring == Linear(4, 20) and days.weight == 2 and days.label == "Active days"
    assert events.label == "Milestones" and events.params == {"events": ["Blog Migrated", "CRM Integrated"]}
    assert events.scoring == Bands(BELOW, ((1, 0), (2, 50)), 100)
    assert touch.scoring == BoundedLinear(60, 14, 10, 100) and touch.missing == ZERO
    assert nps.scoring == Bands(AT_LEAST, ((30, 100), (-20, 50)), 0)


def test_the_smallest_document_takes_the_defaults() -> None:
    card = parse("name: Any\nmeasures:\n- kind: logins\n  scoring: {linear: {from: 0, to: 50}}\n")
    assert not card.grouped
    assert (card.composition, card.missing, card.priority, card.red_below, card.green_from) == (
        "weighted_average",
        "reweight",
        100,
        40,
        70,
    )
    assert card.applies_to == {}
    assert score(card, {"logins": 25}).overall == 50


def test_an_additive_document_uses_points_and_a_neutral_start() -> None:
    card = parse(
        """\
name: Points
composition: additive
neutral: 60
measures:
- kind: champion_active
  scoring:
    points:
    - {below: 1, points: -25}
    - {else: 5}
"""
    )
    assert card.composition == ADDITIVE and card.neutral == 60
    assert card.measures[0].scoring == Points(BELOW, ((1, -25),), 5)
    assert score(card, {"champion_active": 0}).overall == 35


def test_the_default_scorecard_says_so() -> None:
    card = parse(
        "name: Fallback\napplies_to: {default: true}\n"
        "measures:\n- kind: logins\n  scoring: {linear: {from: 0, to: 9}}\n"
    )
    assert card.is_default


def test_an_unknown_kind_names_the_path_the_line_and_the_closest_kind() -> None:
    text = VALID.replace("kind: nps", "kind: active_user")
    assert check(text)[0].format("scorecard.yaml") == (
        "scorecard.yaml:31:5: groups[1].measures[1].kind: 'active_user' is not a measure kind"
        " (did you mean 'active_users_per_seat'?)"
    )
    with pytest.raises(DefinitionError) as caught:
        parse(text, source="mid.yaml")
    assert str(caught.value).startswith("mid.yaml:31:5: groups[1].measures[1].kind:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [", "scorecard.yaml:1:8: not valid YAML: expected the node content, but found '<stream end>'"),
        ("- 1\n", "scorecard.yaml:1:1: must be an object"),
        ("name: A\nname: B\nmeasures: []\n", "scorecard.yaml:2:1: name: appears twice"),
        ("measures:\n- kind: logins\n  scoring: {linear: {from: 0, to: 9}}\n", "scorecard.yaml:1:1: name: is required"),
        ("name: A\n", "scorecard.yaml:1:1: groups: is required (or top-level measures)"),
        ("name: A\nmeasures: []\n", "scorecard.yaml:2:1: measures: must be a non-empty list"),
        ("name: A\nwieght: 3\nmeasures: []\n", "scorecard.yaml:2:1: wieght: unknown key (known: name, description"),
        (
            "name: A\ncomposition: average\n",
            "scorecard.yaml:2:1: composition: must be one of weighted_average, worst_of, additive (got 'average'",
        ),
        ("name: A\nmissing: ignore\n", "scorecard.yaml:2:1: missing: must be one of reweight, zero (got 'ignore')"),
        ("name: A\nneutral: 50\n", "scorecard.yaml:2:1: neutral: only an additive scorecard has a neutral start"),
        ("name: A\nbands: {red_below: 70, green_from: 40}\n", "scorecard.yaml:2:24: bands.green_from: must be above"),
        ("name: A\nbands: {red_below: -1}\n", "scorecard.yaml:2:9: bands.red_below: must be from 0 to 100"),
        ("name: A\npriority: 1.5\n", "scorecard.yaml:2:1: priority: must be a whole number"),
        (
            "name: A\napplies_to: {tear: [community]}\n",
            "scorecard.yaml:2:14: applies_to.tear: unknown key (did you mean 'tier'?)",
        ),
        (
            "name: A\napplies_to: {default: true, tier: community}\n",
            "scorecard.yaml:2:14: applies_to.default: the default",
        ),
        ("name: A\napplies_to: {arr_min: lots}\n", "scorecard.yaml:2:14: applies_to.arr_min: must be a number"),
    ],
)
def test_top_level_errors_name_the_field_and_line(text: str, expected: str) -> None:
    assert any(line.startswith(expected) for line in lines_of(text)), lines_of(text)


GROUPED = """\
name: A
groups:
- name: usage
  weight: {weight}
  measures:
  - kind: {kind}
    {extra}
    scoring:
      {rule}
"""


def grouped(
    kind: str = "active_days", rule: str = "linear: {from: 0, to: 9}", weight: str = "1", extra: str = ""
) -> str:
    return (
        GROUPED.replace("{kind}", kind)
        .replace("{rule}", rule)
        .replace("{weight}", weight)
        .replace("{extra}", extra or "label: X")
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (grouped(weight="0"), "scorecard.yaml:4:3: groups[0].weight: must be greater than 0"),
        (grouped(weight="-2"), "scorecard.yaml:4:3: groups[0].weight: must be greater than 0"),
        (grouped(extra="weight: 0"), "scorecard.yaml:7:5: groups[0].measures[0].weight: must be greater than 0"),
        (grouped(extra="label: ''"), "scorecard.yaml:7:5: groups[0].measures[0].label: is required"),
        (
            grouped(extra="missing: nil"),
            "scorecard.yaml:7:5: groups[0].measures[0].missing: must be one of reweight, zero (got 'nil')",
        ),
        (
            grouped(kind="logins", extra="params: {days: 30}"),
            "scorecard.yaml:7:5: groups[0].measures[0].params: logins takes no",
        ),
        (
            grouped(kind="sponsor_engaged", extra="params: {dayz: 30}"),
            "scorecard.yaml:7:14: groups[0].measures[0].params.dayz: unknown key (did you mean 'days'?)",
        ),
        (
            grouped(kind="sponsor_engaged", extra="params: {days: 0}"),
            "scorecard.yaml:7:14: groups[0].measures[0].params.days: must be a whole number of days from 1 to 730",
        ),
        (
            grouped(kind="key_events", extra="params: {events: []}"),
            "scorecard.yaml:7:14: groups[0].measures[0].params.events: must be a non-empty list of event names",
        ),
        (grouped(rule="linear: {from: 3}"), "scorecard.yaml:9:7: groups[0].measures[0].scoring.linear.to: is required"),
        (
            grouped(rule="linear: {from: 3, to: 3}"),
            "scorecard.yaml:9:25: groups[0].measures[0].scoring.linear.to: must differ",
        ),
        (
            grouped(rule="linear: {from: a, to: 3}"),
            "scorecard.yaml:9:16: groups[0].measures[0].scoring.linear.from: must be a",
        ),
        (
            grouped(rule="linear: {from: .nan, to: 3}"),
            "scorecard.yaml:9:16: groups[0].measures[0].scoring.linear.from: must be",
        ),
        (
            grouped(rule="lineal: {from: 0, to: 3}"),
            "scorecard.yaml:9:7: groups[0].measures[0].scoring.lineal: unknown key (did you mean 'linear'?)",
        ),
        (
            grouped(rule="{linear: {from: 0, to: 3}, bands: []}"),
            "scorecard.yaml:8:5: groups[0].measures[0].scoring: give one rule, not 2",
        ),
        (
            grouped(rule="bounded_linear: {floor: 0, cap: 10, min_score: 80, max_score: 20}"),
            "scorecard.yaml:9:58: groups[0].measures[0].scoring.bounded_linear.max_score: must be above min_score",
        ),
        (
            grouped(rule="bounded_linear: {floor: 0, cap: 10, min_score: 0}"),
            "scorecard.yaml:9:7: groups[0].measures[0].scoring.bounded_linear.max_score: is required",
        ),
        (
            grouped(rule="bands: [{below: 5, score: 0}, {below: 3, score: 50}, {else: 100}]"),
            "scorecard.yaml:9:38: groups[0].measures[0].scoring.bands[1].below: must be greater than 5",
        ),
        (
            grouped(rule="bands: [{at_least: 5, score: 100}, {at_least: 8, score: 50}, {else: 0}]"),
            "scorecard.yaml:9:43: groups[0].measures[0].scoring.bands[1].at_least: must be less than 5",
        ),
        (
            grouped(rule="bands: [{below: 5, score: 0}, {at_least: 8, score: 50}, {else: 0}]"),
            "scorecard.yaml:9:38: groups[0].measures[0].scoring.bands[1].at_least: steps must all use below",
        ),
        (
            grouped(rule="bands: [{below: 5, score: 0}, {below: 8, score: 50}]"),
            "scorecard.yaml:9:7: groups[0].measures[0].scoring.bands[2]: end with an `else` step",
        ),
        (
            grouped(rule="bands: [{else: 0}, {below: 8, score: 50}]"),
            "scorecard.yaml:9:16: groups[0].measures[0].scoring.bands[0].else: must be the last step",
        ),
        (
            grouped(rule="bands: [{else: 0}]"),
            "scorecard.yaml:9:7: groups[0].measures[0].scoring.bands: needs at least one",
        ),
        (
            grouped(rule="bands: [{below: 5, score: 120}, {else: 0}]"),
            "scorecard.yaml:9:26: groups[0].measures[0].scoring.bands[0].score: must be from 0 to 100",
        ),
        (
            grouped(rule="bands: [{below: 5}, {else: 0}]"),
            "scorecard.yaml:9:15: groups[0].measures[0].scoring.bands[0].score: is required",
        ),
        (
            grouped(rule="points: [{below: 5, points: -10}, {else: 0}]"),
            "scorecard.yaml:9:7: groups[0].measures[0].scoring.points: points only add up in an additive scorecard",
        ),
    ],
)
def test_group_and_measure_errors_name_the_path_and_line(text: str, expected: str) -> None:
    found = lines_of(text)
    assert any(line.startswith(expected) for line in found), found


def test_a_kind_measured_twice_is_refused() -> None:
    text = (
        "name: A\nmeasures:\n- kind: logins\n  scoring: {linear: {from: 0, to: 9}}\n"
        "- kind: logins\n  scoring: {linear: {from: 0, to: 9}}\n"
    )
    assert lines_of(text) == ["scorecard.yaml:5:3: measures[1].kind: 'logins' is already measured at measures[0]"]


def test_group_names_are_unique() -> None:
    text = grouped() + grouped().split("groups:\n", 1)[1]
    assert "scorecard.yaml:10:3: groups[1].name: 'usage' is the name of an earlier group" in lines_of(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: A\ncomposition: additive\nmeasures:\n- kind: logins\n  scoring: {linear: {from: 0, to: 9}}\n",
            "scorecard.yaml:5:13: measures[0].scoring.linear: an additive scorecard scores measures with points",
        ),
        (
            "name: A\ncomposition: additive\nmeasures:\n"
            "- kind: logins\n  weight: 2\n  scoring: {points: [{below: 1, points: -5}, {else: 0}]}\n",
            "scorecard.yaml:5:3: measures[0].weight: weights have no effect in an additive scorecard without groups",
        ),
        (
            "name: A\ncomposition: worst_of\ngroups:\n"
            "- name: g\n  weight: 2\n  measures:\n  - kind: logins\n    scoring: {linear: {from: 0, to: 9}}\n",
            "scorecard.yaml:5:3: groups[0].weight: group weights have no effect in a worst_of scorecard",
        ),
        (
            "name: A\ncomposition: additive\nneutral: 120\n"
            "measures:\n- kind: logins\n  scoring: {points: [{below: 1, points: -5}, {else: 0}]}\n",
            "scorecard.yaml:3:1: neutral: must be from 0 to 100",
        ),
        (
            "name: A\ncomposition: additive\nmeasures:\n"
            "- kind: logins\n  scoring: {points: [{below: 1, points: -150}, {else: 0}]}\n",
            "scorecard.yaml:5:33: measures[0].scoring.points[0].points: must be from -100 to 100",
        ),
    ],
)
def test_compositions_refuse_what_has_no_effect(text: str, expected: str) -> None:
    found = lines_of(text)
    assert any(line.startswith(expected) for line in found), found


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = (
        VALID.replace("weight: 2", "weight: -2")
        .replace("kind: nps", "kind: npz")
        .replace("priority: 20", "priority: x")
    )
    found = lines_of(text)
    assert [line.split(": ")[1] for line in found] == [
        "priority",
        "groups[0].measures[0].weight",
        "groups[1].measures[1].kind",
    ]
    assert [int(line.split(":")[1]) for line in found] == [5, 14, 31]


def test_data_from_json_is_validated_the_same_way_without_lines() -> None:
    with pytest.raises(DefinitionError) as caught:
        from_data({"name": "A", "measures": [{"kind": "logins", "scoring": {"linear": {"from": 1}}}]}, source="request")
    assert str(caught.value) == "request: measures[0].scoring.linear.to: is required"


# Round trip ---------------------------------------------------------------------------------------


def test_dump_then_parse_gives_the_same_scorecard() -> None:
    card = parse(VALID)
    assert parse(dump(card)) == card


def test_dump_is_stable() -> None:
    once = dump(parse(VALID))
    assert dump(parse(once)) == once


def test_dump_writes_rules_in_the_documented_shape() -> None:
    text = dump(parse(VALID))
    assert "linear: {from: 4, to: 20}" in text
    assert "- {below: 1, score: 0}" in text
    assert "- {else: 100}" in text
    assert "bounded_linear: {floor: 60, cap: 14, min_score: 10, max_score: 100}" in text
    assert "description: |\n  Usage first, then the relationship.\n" in text


@pytest.mark.parametrize("composition", [ADDITIVE, WORST_OF])
def test_dump_round_trips_every_composition(composition: str) -> None:
    rule = "{points: [{below: 1, points: -5}, {else: 0}]}" if composition == ADDITIVE else "{linear: {from: 0, to: 9}}"
    text = f"name: A\ncomposition: {composition}\nmeasures:\n- kind: logins\n  scoring: {rule}\n"
    card = parse(text)
    assert parse(dump(card)) == card


# The defaults -------------------------------------------------------------------------------------


def test_the_default_scorecards_are_valid_and_round_trip() -> None:
    cards = default_scorecards()
    assert [card.name for card in cards] == [
        "Strategic (high-touch)",
        "Enterprise (mid-touch)",
        "Community (tech-touch)",
    ]
    for card in cards:
        assert parse(dump(card)) == card
        assert card.description


def test_there_is_one_default_per_tier_and_one_fallback() -> None:
    cards = default_scorecards()
    assert [card.applies_to for card in cards] == [{"tier": ["strategic"]}, {"tier": ["enterprise"]}, {"default": True}]
    assert [card.priority for card in cards] == sorted(card.priority for card in cards)


def test_the_default_files_read_as_written() -> None:
    for name in FILES:
        assert default_scorecard_text(name).startswith("name: ")
    with pytest.raises(KeyError):
        default_scorecard_text("nope.yaml")


def test_the_defaults_score_a_healthy_and_a_struggling_account_apart() -> None:
    healthy = {
        "active_days": 25,
        "feature_breadth": 9,
        "key_events": 10,
        "usage_trend": 0.1,
        "active_users_per_seat": 0.3,
        "champion_active": 1,
        "sponsor_engaged": 1,
        "days_since_touchpoint": 5,
        "tickets_per_active_user": 0.05,
        "open_tickets": 0,
        "nps": 60,
        "csat": 4.6,
        "csm_pulse": 3,
    }
    struggling = {
        "active_days": 6,
        "feature_breadth": 3,
        "key_events": 3,
        "usage_trend": -0.5,
        "active_users_per_seat": 0.02,
        "champion_active": 0,
        "sponsor_engaged": 0,
        "days_since_touchpoint": 70,
        "tickets_per_active_user": 0.6,
        "open_tickets": 6,
        "nps": -80,
        "csat": 2.0,
        "csm_pulse": 1,
    }
    for card in default_scorecards():
        assert score(card, healthy).band == "green", card.name
        assert score(card, struggling).band == "red", card.name
        assert score(card, {}).overall is None
