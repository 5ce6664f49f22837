"""Saving playbooks: versions per key, workspace references checked, activation across versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from retain.playbooks import services
from retain.playbooks.models import Playbook
from retain.tenancy.models import Member, Workspace

TEXT = """\
key: welcome
name: Welcome
trigger: {kind: time, from: subscription_start, after_days: 0}
steps:
  - task: {title: "Kick-off with {{ account.name }}", kind: call, assignee: carol@acme.example}
"""


def test_saving_a_changed_definition_adds_a_version(workspace: Workspace, alice: Member, carol: Member) -> None:
    first = services.playbook_save(workspace=workspace, definition_yaml=TEXT, actor=alice)
    assert (first.key, first.version, first.is_current, first.trigger_kind) == ("welcome", 1, True, "time")
    assert services.playbook_save(workspace=workspace, definition_yaml=TEXT, actor=alice) == first
    second = services.playbook_save(workspace=workspace, definition_yaml=TEXT.replace("Welcome", "Hello"), actor=alice)
    assert second.version == 2
    first.refresh_from_db()
    assert not first.is_current
    assert second.source.startswith("key: welcome")
    assert second.definition["name"] == "Hello"


def test_members_and_segments_must_exist_in_the_workspace(workspace: Workspace, alice: Member, olga: Member) -> None:
    text = TEXT.replace("carol@acme.example", "olga@other.example") + "audience: {segment: Nope}\n"
    with pytest.raises(ValidationError) as caught:
        services.playbook_save(workspace=workspace, definition_yaml=text, actor=alice)
    assert set(caught.value.message_dict) == {"steps[0].task.assignee", "audience.segment"}
    assert not Playbook.objects.exists()


def test_switching_off_covers_every_version(workspace: Workspace, alice: Member, carol: Member) -> None:
    first = services.playbook_save(workspace=workspace, definition_yaml=TEXT, actor=alice)
    services.playbook_set_active(playbook=first, active=False, actor=alice)
    second = services.playbook_save(workspace=workspace, definition_yaml=TEXT.replace("Welcome", "Hi"), actor=alice)
    assert not second.is_active
    assert Playbook.objects.filter(is_active=True).count() == 0
