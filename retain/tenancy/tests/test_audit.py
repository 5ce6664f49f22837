"""The audit log: every service that changes who may do what, or what the workspace runs on,
writes one entry in the same transaction as the change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from retain.health.defaults import FILES, default_scorecard_text
from retain.health.services import scorecard_publish
from retain.journeys.defaults import DEFAULT_TEMPLATES
from retain.journeys.services import template_publish
from retain.playbooks.services import playbook_save, playbook_set_active
from retain.tenancy import services
from retain.tenancy.models import AuditEntry, Member, Workspace

PLAYBOOK = """\
key: welcome
name: Welcome
trigger: {kind: time, from: subscription_start, after_days: 0}
steps:
  - task: {title: "Kick-off with {{ account.name }}", kind: call, assignee: carol@acme.example}
"""


def _log(workspace: Workspace) -> list[tuple[str, str, str]]:
    rows = AuditEntry.objects.filter(workspace=workspace).order_by("at", "id")
    return [(row.actor_name, row.action, row.target) for row in rows]


def test_settings_rates_tokens_and_keys_are_audited(workspace: Workspace, alice: Member, carol: Member) -> None:
    before = AuditEntry.objects.count()
    services.workspace_update(workspace=workspace, actor=alice, time_zone="Europe/Zagreb", name=workspace.name)
    services.exchange_rate_set(
        workspace=workspace, actor=alice, currency="EUR", valid_from=dt.date(2026, 1, 1), rate="1.1"
    )
    token, _ = services.api_token_create(member=carol, name="CRM sync", actor=carol)
    services.api_token_revoke(token=token, actor=carol)
    services.api_token_revoke(token=token, actor=carol)  # already revoked: nothing new
    key, _ = services.write_key_create(workspace=workspace, name="Product", actor=alice)
    services.write_key_revoke(key=key, actor=alice)
    log = _log(workspace)[-6:]
    assert AuditEntry.objects.count() == before + 6
    assert [(who, action) for who, action, _ in log] == [
        ("Alice", "settings.updated"),
        ("Alice", "exchange_rate.set"),
        ("Carol", "api_token.created"),
        ("Carol", "api_token.revoked"),
        ("Alice", "write_key.created"),
        ("Alice", "write_key.revoked"),
    ]
    settings_entry = AuditEntry.objects.get(action="settings.updated")
    assert settings_entry.detail == {"time_zone": ["UTC", "Europe/Zagreb"]}  # the unchanged name is left out


def test_scorecards_playbooks_and_journey_templates_are_audited(
    workspace: Workspace, mark: Member, carol: Member
) -> None:
    scorecard_publish(workspace=workspace, actor=mark, text=default_scorecard_text(FILES[0]), filename=FILES[0])
    playbook = playbook_save(workspace=workspace, definition_yaml=PLAYBOOK, actor=mark)
    playbook_save(workspace=workspace, definition_yaml=PLAYBOOK, actor=mark)  # same text: no new version
    playbook_set_active(playbook=playbook, active=False, actor=mark)
    template_publish(workspace=workspace, actor=mark, **DEFAULT_TEMPLATES[0])
    actions = [action for who, action, _ in _log(workspace) if who == "Mark"]
    assert actions == ["scorecard.published", "playbook.saved", "playbook.switched", "journey_template.published"]
    switched = AuditEntry.objects.get(action="playbook.switched")
    assert switched.detail == {"key": "welcome", "is_active": [True, False]}


def test_a_change_that_rolls_back_leaves_no_entry(workspace: Workspace, alice: Member) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.write_key_create(workspace=workspace, name="Product", actor=alice)
        raise RuntimeError("the caller's transaction fails")
    assert AuditEntry.objects.count() == before


def test_the_system_is_an_actor_with_no_member(workspace: Workspace) -> None:
    services.write_key_create(workspace=workspace, name="From the CLI")
    entry = AuditEntry.objects.get(action="write_key.created")
    assert (entry.actor, entry.actor_name) == (None, "")
    assert entry.target.startswith("From the CLI (wk_")


def test_it_refuses_an_unknown_action_or_an_actor_from_another_workspace(
    workspace: Workspace, alice: Member, olga: Member
) -> None:
    with pytest.raises(ValueError, match="not an audit action"):
        services.audit_record(workspace=workspace, actor=alice, action="coffee.made", target="kitchen")
    with pytest.raises(ValueError, match="member of its workspace"):
        services.audit_record(workspace=workspace, actor=olga, action="export", target="accounts")


def test_exports_and_erasures_are_recorded_through_the_service(workspace: Workspace, alice: Member) -> None:
    services.audit_record(
        workspace=workspace, actor=alice, action="export", target="accounts export", detail={"rows": 120}
    )
    services.audit_record(workspace=workspace, actor=alice, action="erasure", target="contact jane@globex.example")
    assert _log(workspace)[-2:] == [
        ("Alice", "export", "accounts export"),
        ("Alice", "erasure", "contact jane@globex.example"),
    ]
