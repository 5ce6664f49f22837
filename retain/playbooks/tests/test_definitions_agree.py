"""Scorecards, playbooks, journey templates and conditions read the same way: the same mistake gets
the same words, a key given twice is refused in each, and each problem is placed at line:column."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from retain.health import definition as scorecards
from retain.journeys import templates as journeys
from retain.lib import conditions
from retain.lib.definitions import DefinitionError
from retain.playbooks import definition as playbooks

SCORECARD = """\
name: Usage
measures:
- kind: logins
  scoring: {linear: {from: 0, to: 9}}
"""
PLAYBOOK = """\
key: check-in
name: Check in
trigger: {kind: data, condition: {attr: health.band, op: eq, value: red}}
steps:
- wait: {days: 3}
"""
MILESTONES = """\
- key: first-post
  name: First post
  target_week: 2
  kind: data
  criteria: {attr: usage.events_30d, op: gte, value: 1}
"""


def problems(read: Callable[[str], object], text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read(text)
    return caught.value.lines


def parse_milestones(text: str) -> object:
    return journeys.parse_milestones(text, "definition.yaml")


def parse_scorecard(text: str) -> object:
    return scorecards.parse(text, source="definition.yaml")


def parse_playbook(text: str) -> object:
    return playbooks.parse_yaml(text, "definition.yaml")


def test_the_valid_documents_read() -> None:
    assert parse_scorecard(SCORECARD)
    assert parse_playbook(PLAYBOOK)
    assert parse_milestones(MILESTONES)


def test_a_key_given_twice_in_a_playbook_is_refused_at_the_second_one() -> None:
    text = PLAYBOOK.replace("name: Check in\n", "name: Check in\nname: Check in again\n")
    assert problems(parse_playbook, text) == ["definition.yaml:3:1: name: appears twice (first on line 2)"]


@pytest.mark.parametrize(
    ("read", "text", "expected"),
    [
        (
            parse_scorecard,
            SCORECARD.replace("- kind: logins\n", "- kind: logins\n  kind: nps\n"),
            "definition.yaml:4:3: measures[0].kind: appears twice (first on line 3)",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("{days: 3}", "{days: 3, days: 4}"),
            "definition.yaml:5:19: steps[0].wait.days: appears twice (first on line 5)",
        ),
        (
            parse_milestones,
            MILESTONES.replace("  kind: data\n", "  kind: data\n  kind: checklist\n"),
            "definition.yaml:5:3: milestones[0].kind: appears twice (first on line 4)",
        ),
        (  # a condition inside a playbook
            parse_playbook,
            PLAYBOOK.replace("op: eq,", "op: eq, op: ne,"),
            "definition.yaml:3:62: trigger.condition.op: appears twice (first on line 3)",
        ),
        (  # a condition inside a journey template
            parse_milestones,
            MILESTONES.replace("value: 1}", "value: 1, value: 2}"),
            "definition.yaml:5:57: milestones[0].criteria.value: appears twice (first on line 5)",
        ),
    ],
)
def test_a_key_given_twice_is_refused_in_every_definition(
    read: Callable[[str], object], text: str, expected: str
) -> None:
    assert expected in problems(read, text)


@pytest.mark.parametrize(
    ("read", "text", "expected"),
    [
        (
            parse_scorecard,
            SCORECARD.replace("name:", "nmae:"),
            "definition.yaml:1:1: nmae: unknown key (did you mean 'name'?)",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("name:", "nmae:"),
            "definition.yaml:2:1: nmae: unknown key (did you mean 'name'?)",
        ),
        (
            parse_milestones,
            MILESTONES.replace("  name:", "  nmae:"),
            "definition.yaml:2:3: milestones[0].nmae: unknown key (did you mean 'name'?)",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("value: red", "value: red, valeu: red"),
            "definition.yaml:3:74: trigger.condition.valeu: unknown key (did you mean 'value'?)",
        ),
    ],
)
def test_an_unknown_key_gets_the_same_words_in_every_definition(
    read: Callable[[str], object], text: str, expected: str
) -> None:
    assert expected in problems(read, text)


def test_an_unknown_condition_key_gets_the_same_words_on_its_own() -> None:
    data = {"attr": "health.band", "op": "eq", "value": "red", "valeu": "red"}
    assert conditions.validate(data) == [("valeu", "unknown key (did you mean 'value'?)")]


@pytest.mark.parametrize(
    ("read", "text", "expected"),
    [
        (
            parse_scorecard,
            SCORECARD + "bands: [40, 70]\n",
            "definition.yaml:5:1: bands: must be an object with keys red_below, green_from",
        ),
        (
            parse_playbook,
            PLAYBOOK + "limits: [1, 90]\n",
            "definition.yaml:6:1: limits: must be an object with keys once, max, per_days",
        ),
        (
            parse_milestones,
            MILESTONES.replace("kind: data", "kind: checklist").replace(
                "  criteria: {attr: usage.events_30d, op: gte, value: 1}\n", "  items: Call held\n"
            ),
            "definition.yaml:5:3: milestones[0].items: must be a non-empty list of distinct texts",
        ),
        (
            parse_scorecard,
            SCORECARD.replace("{from: 0, to: 9}", "{from: 0, to: many}"),
            "definition.yaml:4:31: measures[0].scoring.linear.to: must be a number",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("{days: 3}", "{days: many}"),
            "definition.yaml:5:10: steps[0].wait.days: must be a whole number",
        ),
        (
            parse_milestones,
            MILESTONES.replace("target_week: 2", "target_week: many"),
            "definition.yaml:3:3: milestones[0].target_week: must be a whole number",
        ),
        (
            parse_scorecard,
            SCORECARD + "missing: ignore\n",
            "definition.yaml:5:1: missing: must be one of reweight, zero (got 'ignore')",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("kind: data", "kind: dta"),
            "definition.yaml:3:11: trigger.kind: must be one of time, data, event (got 'dta'; did you mean 'data'?)",
        ),
        (
            parse_milestones,
            MILESTONES.replace("kind: data", "kind: dta"),
            "definition.yaml:4:3: milestones[0].kind: must be one of checklist, data, renewal"
            " (got 'dta'; did you mean 'data'?)",
        ),
        (
            parse_playbook,
            PLAYBOOK.replace("op: eq", "op: equals"),
            "definition.yaml:3:54: trigger.condition.op: must be one of eq, ne, lt, lte, gt, gte, in, not_in,"
            " contains, exists, between (got 'equals')",
        ),
    ],
)
def test_the_same_mistake_gets_the_same_words_in_every_definition(
    read: Callable[[str], object], text: str, expected: str
) -> None:
    assert expected in problems(read, text)


def test_a_condition_on_its_own_says_the_same_as_inside_a_definition() -> None:
    assert conditions.validate({"attr": "health.band", "op": "equals", "value": "red"}) == [
        (
            "op",
            "must be one of eq, ne, lt, lte, gt, gte, in, not_in, contains, exists, between (got 'equals')",
        )
    ]
