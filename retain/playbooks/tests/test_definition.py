"""Playbook definitions: every problem named by its path, located in the YAML, nothing saved."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from retain.playbooks.definition import DefinitionError, clean_definition, describe_step, error_lines, parse_yaml

VALID: dict[str, Any] = {
    "key": "health-turned-red",
    "name": "Health turned red",
    "audience": {"tier": ["enterprise", "strategic"], "where": {"attr": "traits.region", "op": "eq", "value": "EMEA"}},
    "trigger": {"kind": "data", "condition": {"attr": "health.band", "op": "eq", "value": "red"}, "hold_hours": 24},
    "conditions": {"attr": "account.status", "op": "ne", "value": "churned"},
    "limits": {"max": 1, "per_days": 90},
    "steps": [
        {"task": {"title": "Risk review: {{ account.name }}", "kind": "review", "priority": "high", "due_in_days": 2}},
        {"wait": {"days": 7}},
        {"escalate": {"step": 0, "after_days": 7}},
        {"email": {"to": ["champion", "admin"], "subject": "Checking in", "body": "Hi {{ contact.first_name }}"}},
        {"slack": {"url": "https://hooks.slack.com/x", "text": "{{ account.name }} turned red"}},
        {"webhook": {"url": "https://example.com/hook", "payload": {"any": ["json", 1]}}},
        {"set": {"field": "stage", "value": "adoption"}},
        {"set": {"field": "traits.risk", "value": "high"}},
        {"set": {"field": "tag", "value": "at-risk"}},
        {"enrol": {"playbook": "exec-sponsor-intro"}},
        {"advocacy": {"ask": "case_study", "after_milestone": "initial-value"}},
    ],
}


def with_change(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    target = data
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


def test_a_valid_definition_is_cleaned_with_defaults() -> None:
    clean = clean_definition(VALID)
    assert clean["trigger"]["hold_hours"] == 24
    assert clean["steps"][0]["task"]["assignee"] == "owner"
    assert clean["steps"][0]["task"]["checklist"] == []
    assert clean["limits"] == {"max": 1, "per_days": 90}
    assert clean["digest"] is False
    assert clean["audience"]["tier"] == ["enterprise", "strategic"]


@pytest.mark.parametrize(
    ("path", "value", "error_path", "message"),
    [
        (["key"], "Health Red", "key", "lower-case"),
        (["key"], "preview", "key", "names a page of the playbooks screen"),
        (["name"], KeyError, "name", "is required"),
        (["trigger"], KeyError, "trigger", "is required"),
        (["trigger", "kind"], "cron", "trigger.kind", "must be one of time, data, event"),
        (["trigger", "condition", "attr"], "health.bnd", "trigger.condition.attr", "did you mean 'health.band'"),
        (["trigger", "hold_hours"], -1, "trigger.hold_hours", "must be from 0 to"),
        (["audience", "tier"], ["gold"], "audience.tier[0]", "must be one of community"),
        (["audience", "owner"], ["not-an-email"], "audience.owner[0]", "member e-mail"),
        (["audience", "colour"], "red", "audience.colour", "unknown key"),
        (["conditions"], {"attr": "account.status", "op": "equals", "value": 1}, "conditions.op", "must be one of"),
        (["limits"], {"once": True, "max": 2}, "limits", "either once"),
        (["limits", "per_days"], 0, "limits.per_days", "must be from 1 to"),
        (["digest"], "yes", "digest", "true or false"),
        (["steps"], [], "steps", "non-empty list"),
        (["steps", 0, "task", "assignee"], "boss", "steps[0].task.assignee", "must be one of owner, manager, role:"),
        (["steps", 0, "task", "kind"], "lunch", "steps[0].task.kind", "must be one of"),
        (["steps", 0, "task", "title"], "", "steps[0].task.title", "is required"),
        (["steps", 1, "wait", "days"], 0, "steps[1].wait.days", "must be from 1 to"),
        (["steps", 2, "escalate", "step"], 1, "steps[2].escalate.step", "earlier task step"),
        (["steps", 3, "email", "to"], ["ceo"], "steps[3].email.to[0]", "must be one of champion"),
        (["steps", 4, "slack", "url"], "hooks.slack.com", "steps[4].slack.url", "http"),
        (["steps", 5, "webhook", "payload"], [1], "steps[5].webhook.payload", "must be an object"),
        (["steps", 6, "set", "value"], "limbo", "steps[6].set.value", "must be one of onboarding"),
        (["steps", 6, "set", "field"], "name", "steps[6].set.field", "traits.<name>"),
        (["steps", 9, "enrol", "playbook"], "health-turned-red", "steps[9].enrol.playbook", "itself"),
        (["steps", 10, "advocacy", "ask"], "tweet", "steps[10].advocacy.ask", "must be one of"),
        (["steps", 10], {"dance": {}}, "steps[10].dance", "unknown step kind"),
        (["steps", 10], {"wait": {"days": 1}, "set": {}}, "steps[10]", "exactly one step kind"),
    ],
)
def test_each_problem_is_named_by_its_path(path: list[Any], value: Any, error_path: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_definition(with_change(path, value))
    errors = caught.value.message_dict
    assert error_path in errors, errors
    assert message in errors[error_path][0]


def test_event_triggers_take_an_entry_kind_and_may_read_the_entry() -> None:
    data = with_change(
        ["trigger"],
        {
            "kind": "event",
            "entry": "contact_left",
            "where": {"attr": "entry.contact.role", "op": "eq", "value": "champion"},
        },
    )
    assert clean_definition(data)["trigger"]["entry"] == "contact_left"
    data["trigger"]["entry"] = "contact_gone"
    with pytest.raises(ValidationError) as caught:
        clean_definition(data)
    assert "trigger.entry" in caught.value.message_dict


def test_time_triggers_need_a_stage_for_stage_entry() -> None:
    data = with_change(["trigger"], {"kind": "time", "after_days": 30, "from": "stage_entry"})
    with pytest.raises(ValidationError) as caught:
        clean_definition(data)
    assert list(caught.value.message_dict) == ["trigger.stage"]
    data["trigger"]["stage"] = "onboarding"
    data["trigger"]["every_days"] = 90
    assert clean_definition(data)["trigger"] == {
        "kind": "time",
        "after_days": 30,
        "from": "stage_entry",
        "stage": "onboarding",
        "every_days": 90,
    }


YAML = """\
key: qbr
name: Quarterly business review
trigger:
  kind: time
  from: subscription_start
  after_days: 90
  every_days: 90
steps:
  - task: {title: "QBR with {{ account.name }}", kind: meeting}
  - task:
      title: Prepare
      assignee: the boss
"""


def test_parse_yaml_locates_validation_errors_at_the_offending_key() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_yaml(YAML, "qbr.yaml")
    assert caught.value.message_dict == {
        "steps[1].task.assignee": [caught.value.message_dict["steps[1].task.assignee"][0]]
    }
    assert caught.value.message_dict["steps[1].task.assignee"][0].startswith("qbr.yaml:12:7: must be one of owner")
    assert error_lines(caught.value)[0].startswith("qbr.yaml:12:7: steps[1].task.assignee: must be one of")


def test_parse_yaml_locates_a_missing_key_at_its_parent() -> None:
    text = YAML.replace("      assignee: the boss\n", "").replace("      title: Prepare\n", "      kind: call\n")
    with pytest.raises(DefinitionError) as caught:
        parse_yaml(text, "qbr.yaml")
    assert error_lines(caught.value) == ["qbr.yaml:10:5: steps[1].task.title: is required"]


def test_parse_yaml_gives_line_and_column_of_a_syntax_error() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_yaml("key: qbr\nsteps: [\n  - {task: }\n", "bad.yaml")
    (line,) = error_lines(caught.value)
    assert line.startswith("bad.yaml:3:")
    assert "not valid YAML" in line


def test_describe_step_says_what_would_happen() -> None:
    clean = clean_definition(VALID)
    assert describe_step(clean["steps"][0]) == (
        "task (review) for owner: Risk review: {{ account.name }}, due in 2 days"
    )
    assert describe_step(clean["steps"][1]) == "wait 7 days, then re-check"


def test_templates_are_checked_when_the_definition_is_saved() -> None:
    data = with_change(["steps", 0, "task", "title"], "Risk review {% include 'secrets.txt' %}")
    data["steps"][3]["email"]["body"] = "Hi {% if contact %}{{ contact.first_name }}"
    with pytest.raises(ValidationError) as caught:
        clean_definition(data)
    errors = caught.value.message_dict
    assert "include" in errors["steps[0].task.title"][0]
    assert "steps[3].email.body" in errors
