"""A workspace's sender settings: checked by workspace_update, each change on the audit log."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from retain.tenancy import services
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import AuditEntry, Member, Workspace


def test_an_admin_sets_the_sender_and_the_change_is_audited(workspace: Workspace, alice: Member) -> None:
    services.workspace_update(
        workspace=workspace, actor=alice, sender_name=" {csm} from {workspace} ", sender_email=" cs@acme.example "
    )
    workspace.refresh_from_db()
    assert (workspace.sender_name, workspace.sender_email) == ("{csm} from {workspace}", "cs@acme.example")
    assert workspace.sender("Sasha Petrova") == "Sasha Petrova from Acme CS <cs@acme.example>"
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_UPDATED)
    assert entry.actor == alice
    assert entry.detail == {
        "sender_name": ["{csm} at {workspace}", "{csm} from {workspace}"],
        "sender_email": ["", "cs@acme.example"],
    }


def test_without_an_address_the_servers_address_is_used(workspace: Workspace, settings: object) -> None:
    setattr(settings, "DEFAULT_FROM_EMAIL", "Retain <retain@cs.example.com>")  # noqa: B010
    assert workspace.sender("Sasha Petrova") == "Sasha Petrova at Acme CS <retain@cs.example.com>"
    assert workspace.sender() == "Acme CS <retain@cs.example.com>"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"sender_name": "{owner} at {workspace}"}, "sender_name", "may only use {csm} and {workspace}, not {owner}"),
        ({"sender_name": ""}, "sender_name", "must not be empty"),
        ({"sender_name": "{csm}\nBcc: all@example.com"}, "sender_name", "must be one line"),
        ({"sender_name": "x" * 201}, "sender_name", "at most 200 characters"),
        ({"sender_email": "cs at acme"}, "sender_email", "valid email address"),
        ({"sender_email": "cs@acme.example\nBcc: all@example.com"}, "sender_email", "valid email address"),
    ],
)
def test_a_bad_sender_is_refused_naming_the_field_and_nothing_changes(
    workspace: Workspace, alice: Member, fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.workspace_update(workspace=workspace, actor=alice, name="Renamed", **fields)
    assert message in " ".join(refused.value.message_dict[field])
    workspace.refresh_from_db()
    assert (workspace.name, workspace.sender_name, workspace.sender_email) == ("Acme CS", "{csm} at {workspace}", "")
    assert not AuditEntry.objects.filter(action=AuditAction.SETTINGS_UPDATED).exists()
