"""A workspace's gross margin: 75% until an admin changes it, 1–100%, each change on the audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from retain.tenancy import services
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import AuditEntry, Member, Workspace


def test_a_new_workspace_has_the_seeds_75_percent(workspace: Workspace) -> None:
    assert workspace.gross_margin_pct == Decimal(75) and workspace.gross_margin == 0.75


def test_an_admin_sets_the_gross_margin_and_the_change_is_audited(workspace: Workspace, alice: Member) -> None:
    services.workspace_update(workspace=workspace, actor=alice, gross_margin_pct="82.5")
    workspace.refresh_from_db()
    assert workspace.gross_margin_pct == Decimal("82.50") and workspace.gross_margin == 0.825
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_UPDATED)
    assert entry.actor == alice and entry.detail == {"gross_margin_pct": ["75", "82.50"]}


def test_the_same_margin_again_writes_no_audit_entry(workspace: Workspace, alice: Member) -> None:
    services.workspace_update(workspace=workspace, actor=alice, gross_margin_pct=Decimal(75))
    assert not AuditEntry.objects.filter(action=AuditAction.SETTINGS_UPDATED).exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "must be between 1% and 100%, got 0"),
        ("100.5", "must be between 1% and 100%, got 100.5"),
        ("-20", "must be between 1% and 100%"),
        ("NaN", "must be between 1% and 100%"),
        ("lots", "'lots' is not a number of percent"),
    ],
)
def test_a_margin_outside_1_to_100_percent_is_refused_naming_the_field(
    workspace: Workspace, alice: Member, value: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.workspace_update(workspace=workspace, actor=alice, name="Renamed", gross_margin_pct=value)
    assert message in " ".join(refused.value.message_dict["gross_margin_pct"])
    workspace.refresh_from_db()
    assert (workspace.name, workspace.gross_margin_pct) == ("Acme CS", Decimal(75))
    assert not AuditEntry.objects.filter(action=AuditAction.SETTINGS_UPDATED).exists()


@pytest.mark.parametrize(("value", "label"), [("75", "75%"), ("62.5", "62.5%"), ("33.33", "33.33%"), ("100", "100%")])
def test_the_margin_reads_as_it_was_typed(workspace: Workspace, alice: Member, value: str, label: str) -> None:
    services.workspace_update(workspace=workspace, actor=alice, gross_margin_pct=value)
    workspace.refresh_from_db()
    assert workspace.gross_margin_label == label
