"""The definition reader every definition shares: paths, positions, keys given twice, field messages."""

from __future__ import annotations

from typing import Any

import pytest

from retain.lib.definitions import Checker, DefinitionError, Problem, join, load, parent

TEXT = """\
name: Onboarding
steps:
  - task:
      title: Call
      assignee: owner
  - wait: {days: 3}
"""


def test_paths_join_and_climb() -> None:
    assert join("", "steps") == "steps"
    assert join("steps", 2) == "steps[2]"
    assert join("steps[2]", "task") == "steps[2].task"
    assert join("and", "[0]") == "and[0]"
    assert [parent(p) for p in ("steps[2].task", "steps[2]", "steps", "")] == ["steps[2]", "steps", "", ""]


def test_each_path_is_at_its_key() -> None:
    document = load(TEXT)
    assert document.data["steps"][1] == {"wait": {"days": 3}}
    assert document.locate("name") == (1, 1)
    assert document.locate("steps[0].task") == (3, 5)
    assert document.locate("steps[0].task.assignee") == (5, 7)
    assert document.locate("steps[1].wait.days") == (6, 12)
    # A key the text lacks is placed at its nearest ancestor that is there.
    assert document.locate("steps[0].task.due_in_days") == (3, 5)
    assert document.problems == []


def test_a_root_prefixes_every_path() -> None:
    document = load("- key: a\n  kind: data\n", root="milestones")
    assert document.locate("milestones[0].kind") == (2, 3)


def test_a_key_given_twice_is_refused_at_the_second_one() -> None:
    document = load("name: A\nsteps:\n  - wait: {days: 3, days: 4}\nname: B\n")
    assert document.problems == [
        Problem("steps[0].wait.days", "appears twice (first on line 3)", 3, 21),
        Problem("name", "appears twice (first on line 1)", 4, 1),
    ]


def test_a_syntax_error_is_placed_at_the_parser_mark() -> None:
    with pytest.raises(DefinitionError) as caught:
        load("name: [\n", source="x.yaml")
    (line,) = caught.value.lines
    assert line.startswith("x.yaml:2:1: not valid YAML: ")


def test_aliases_are_walked_once() -> None:
    text = "a: &x [1, 2]\nb: *x\nc: *x\n"
    document = load(text)
    assert document.data == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}
    assert document.locate("b[1]") == (2, 1)  # the alias itself, where it is used


def test_errors_read_as_validation_errors_and_as_lines_in_order() -> None:
    document = load(TEXT, source="pb.yaml")
    checker = Checker()
    checker.error("steps[1].wait.days", "must be from 5 to 10")
    checker.error("steps[0].task.title", "is required")
    checker.error("steps[0].task.title", "a second problem at a path is a consequence of the first")
    checker.error("", "whole")
    with pytest.raises(DefinitionError) as caught:
        checker.raise_if_any(document=document)
    assert caught.value.lines == [
        "pb.yaml:1:1: whole",
        "pb.yaml:4:7: steps[0].task.title: is required",
        "pb.yaml:6:12: steps[1].wait.days: must be from 5 to 10",
    ]
    assert caught.value.message_dict["steps[0].task.title"] == ["pb.yaml:4:7: is required"]
    assert caught.value.message_dict["definition"] == ["pb.yaml:1:1: whole"]
    assert str(caught.value) == "\n".join(caught.value.lines)


def test_without_a_document_the_problems_are_not_placed() -> None:
    checker = Checker()
    checker.error("name", "is required")
    with pytest.raises(DefinitionError) as caught:
        checker.raise_if_any("request")
    assert caught.value.lines == ["request: name: is required"]
    assert caught.value.message_dict == {"name": ["is required"]}


def messages(read: Any) -> list[tuple[str, str]]:
    checker = Checker()
    read(checker)
    return [(problem.path, problem.message) for problem in checker.problems]


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (
            lambda c: c.mapping([1], "bands", ("red_below", "green_from")),
            "must be an object with keys red_below, green_from",
        ),
        (lambda c: c.mapping({"dayz": 1}, "p", ("days",)), "unknown key (did you mean 'days'?)"),
        (lambda c: c.mapping({"zzz": 1}, "p", ("days", "events")), "unknown key (known: days, events)"),
        (lambda c: c.items([], "steps", of="steps"), "must be a non-empty list of steps"),
        (lambda c: c.text({}, "name", "p"), "is required"),
        (lambda c: c.text({"name": "  "}, "name", "p"), "is required"),
        (lambda c: c.text({"name": 3}, "name", "p"), "must be a text"),
        (lambda c: c.text({"name": "abc"}, "name", "p", limit=2), "must be at most 2 characters"),
        (lambda c: c.number({"n": "x"}, "n", "p"), "must be a number"),
        (lambda c: c.number({"n": float("nan")}, "n", "p"), "must be a number"),
        (lambda c: c.number({"n": True}, "n", "p"), "must be a number"),
        (lambda c: c.number({"n": 1.5}, "n", "p", whole=True), "must be a whole number"),
        (lambda c: c.number({"n": 0}, "n", "p", positive=True), "must be greater than 0"),
        (lambda c: c.number({"n": 200}, "n", "p", low=1, high=104, unit="weeks"), "must be from 1 to 104 weeks"),
        (lambda c: c.number({"n": -1}, "n", "p", low=0), "must be at least 0"),
        (
            lambda c: c.choice({"k": "zeros"}, "k", "p", ("reweight", "zero")),
            "must be one of reweight, zero (got 'zeros'; did you mean 'zero'?)",
        ),
        (lambda c: c.choice({}, "k", "p", ("a", "b"), required=True), "is required: one of a, b"),
        (lambda c: c.boolean({"b": "yes"}, "b", "p"), "must be true or false"),
    ],
)
def test_the_field_readers_say_the_same_words_everywhere(read: Any, expected: str) -> None:
    ((_, message),) = messages(read)
    assert message == expected


def test_choices_name_the_wrong_item() -> None:
    assert messages(lambda c: c.choices({"tier": ["gold"]}, "tier", "audience", ("community", "enterprise"))) == [
        ("audience.tier[0]", "must be one of community, enterprise (got 'gold')")
    ]
