"""The default playbooks: valid, one per file named by its key, per tier as the seeds say, installed once."""

from __future__ import annotations

from typing import Any

import pytest

from retain.playbooks.defaults import default_playbooks, playbooks_install_defaults
from retain.playbooks.definition import describe_step, parse_yaml, step_kind
from retain.playbooks.models import Playbook
from retain.playbooks.services import playbook_save, playbook_set_active
from retain.tenancy.models import Member, Workspace


def _definitions() -> dict[str, dict[str, Any]]:
    return {d.key: parse_yaml(d.source, str(d.path)) for d in default_playbooks()}


def test_every_default_is_valid_and_named_by_its_file() -> None:
    definitions = _definitions()
    assert len(definitions) >= 12
    for key, definition in definitions.items():
        assert definition["key"] == key
        assert definition["description"]
        # Nothing fires for a churned account.
        assert "account.status" in str(definition["conditions"])
        for step in definition["steps"]:
            assert describe_step(step)


def test_welcome_per_tier() -> None:
    d = _definitions()
    community, enterprise, strategic = d["welcome-community"], d["welcome-enterprise"], d["welcome-strategic"]
    assert community["audience"] == {"tier": ["community"]}
    assert [step_kind(s) for s in community["steps"]] == ["email", "wait", "email"]
    assert "webinar" in community["steps"][2]["email"]["body"]
    assert enterprise["audience"] == {"tier": ["enterprise"]}
    assert enterprise["steps"][0]["task"]["kind"] == "call"
    assert "Kickoff" in enterprise["steps"][0]["task"]["title"]
    assert strategic["audience"] == {"tier": ["strategic"]}
    assert strategic["steps"][0]["task"]["kind"] == "call"
    assert strategic["steps"][1]["task"]["assignee"] == "manager"
    assert "Executive sponsor" in strategic["steps"][1]["task"]["title"]
    for definition in (community, enterprise, strategic):
        assert definition["trigger"] == {"kind": "time", "from": "subscription_start", "after_days": 0}
        assert definition["limits"] == {"once": True}


def test_check_ins_at_30_60_and_90_days() -> None:
    d = _definitions()
    for key in ("check-ins", "check-ins-community"):
        definition = d[key]
        assert definition["trigger"]["after_days"] == 30
        waits = [s["wait"]["days"] for s in definition["steps"] if step_kind(s) == "wait"]
        assert waits == [30, 30]  # day 30, then 60, then 90
    assert d["check-ins"]["audience"]["tier"] == ["enterprise", "strategic"]
    assert d["check-ins-community"]["audience"]["tier"] == ["community"]


def test_qbr_every_90_days_for_high_touch_tiers_and_renewal_on_the_window() -> None:
    d = _definitions()
    qbr = d["quarterly-business-review"]
    assert qbr["audience"]["tier"] == ["enterprise", "strategic"]
    assert qbr["trigger"]["every_days"] == 90 and qbr["trigger"]["after_days"] == 90
    renewal = d["renewal-started"]
    assert renewal["trigger"]["from"] == "renewal_window"
    assert [step_kind(s) for s in renewal["steps"]] == ["task", "email"]
    assert renewal["steps"][1]["email"]["to"] == ["champion"]


def test_event_and_data_triggers() -> None:
    d = _definitions()
    champion = {"attr": "entry.data.role", "op": "eq", "value": "champion"}
    assert d["champion-left"]["trigger"] == {"kind": "event", "entry": "contact_left", "where": champion}
    assert d["champion-email-bounced"]["trigger"] == {"kind": "event", "entry": "email_bounced", "where": champion}
    assert [step_kind(s) for s in d["champion-left"]["steps"]] == ["task", "task", "escalate"]
    detractor = d["detractor-follow-up"]
    assert detractor["trigger"] == {"kind": "event", "entry": "detractor_answered"}
    assert detractor["steps"][0]["task"]["due_in_days"] == 2
    red = d["health-turned-red"]
    assert red["trigger"]["condition"] == {"attr": "health.band", "op": "eq", "value": "red"}
    assert red["steps"][0]["task"]["kind"] == "review"
    assert red["steps"][1] == {"escalate": {"step": 0, "after_days": 7}}
    stuck = d["onboarding-stuck"]
    assert stuck["trigger"]["condition"] == {"attr": "milestones.stuck", "op": "gte", "value": 1}
    assert stuck["steps"][0]["task"]["assignee"] == "role:operational"


def test_advocacy_is_asked_only_after_the_initial_value_milestone() -> None:
    advocacy = _definitions()["advocacy-ask"]
    assert advocacy["trigger"]["entry"] == "milestone_completed"
    assert advocacy["trigger"]["where"] == {"attr": "entry.data.key", "op": "eq", "value": "initial-value"}
    assert advocacy["steps"] == [
        {"advocacy": {"ask": "testimonial", "after_milestone": "initial-value", "assignee": "owner", "due_in_days": 7}}
    ]


@pytest.mark.django_db
def test_install_adds_every_default_once(workspace: Workspace, alice: Member) -> None:
    added = playbooks_install_defaults(workspace=workspace, actor=alice)
    keys = sorted(p.key for p in added)
    assert keys == sorted(d.key for d in default_playbooks())
    assert all(p.is_active and p.is_current and p.version == 1 for p in added)
    assert playbooks_install_defaults(workspace=workspace, actor=alice) == []
    assert Playbook.objects.filter(workspace=workspace).count() == len(keys)


@pytest.mark.django_db
def test_install_keeps_what_the_team_changed(workspace: Workspace, other_workspace: Workspace, mark: Member) -> None:
    source = next(d for d in default_playbooks() if d.key == "health-turned-red").source
    edited = playbook_save(
        workspace=workspace, definition_yaml=source.replace("due_in_days: 2", "due_in_days: 1"), actor=mark
    )
    playbook_set_active(playbook=edited, active=False, actor=mark)
    added = playbooks_install_defaults(workspace=workspace)
    assert "health-turned-red" not in {p.key for p in added}
    current = Playbook.objects.get(workspace=workspace, key="health-turned-red", is_current=True)
    assert current.pk == edited.pk and not current.is_active
    assert current.definition["steps"][0]["task"]["due_in_days"] == 1
    # Another workspace gets its own copies.
    assert len(playbooks_install_defaults(workspace=other_workspace)) == len(default_playbooks())
