"""Who may change a member, in one place for the web page and the API: managers plan books, admins
decide roles and access, and the workspace always keeps an active admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retain.tenancy.models import AuditEntry, Member
from retain.tenancy.services import LAST_ADMIN_MESSAGE, member_update


def test_a_manager_plans_a_book_but_cannot_change_a_role_or_access(mark: Member, carol: Member) -> None:
    member_update(actor=mark, member=carol, capacity_unit="accounts", capacity=Decimal(60))
    with pytest.raises(PermissionDenied):
        member_update(actor=mark, member=carol, role="viewer")
    with pytest.raises(PermissionDenied):
        member_update(actor=mark, member=carol, is_active=False)
    carol.refresh_from_db()
    assert (carol.role, carol.is_active, carol.capacity) == ("csm", True, Decimal(60))


def test_sending_the_unchanged_role_is_not_a_role_change(mark: Member, carol: Member) -> None:
    member_update(actor=mark, member=carol, role="csm", is_active=True, csm_kind="strategic")
    carol.refresh_from_db()
    assert carol.csm_kind == "strategic"


def test_csms_viewers_and_outsiders_change_nobody(carol: Member, vic: Member, dave: Member, olga: Member) -> None:
    for actor in (carol, vic, olga):
        with pytest.raises(PermissionDenied):
            member_update(actor=actor, member=dave, capacity=Decimal(1), capacity_unit="accounts")


def test_the_last_admin_cannot_demote_or_deactivate_themself(alice: Member) -> None:
    with pytest.raises(ValidationError) as demoted:
        member_update(actor=alice, member=alice, role="manager")
    assert demoted.value.message_dict == {"role": [LAST_ADMIN_MESSAGE]}
    with pytest.raises(ValidationError) as deactivated:
        member_update(actor=alice, member=alice, is_active=False)
    assert deactivated.value.message_dict == {"is_active": [LAST_ADMIN_MESSAGE]}
    # Nor from the command line.
    with pytest.raises(ValidationError):
        member_update(actor=None, member=alice, is_active=False)
    alice.refresh_from_db()
    assert (alice.role, alice.is_active) == ("admin", True)


def test_an_admin_steps_down_once_another_admin_is_active(alice: Member, mark: Member) -> None:
    member_update(actor=alice, member=mark, role="admin")
    member_update(actor=alice, member=alice, role="manager")
    alice.refresh_from_db()
    assert alice.role == "manager"
    # Mark is now the only admin: the rule holds for him too.
    mark.refresh_from_db()
    with pytest.raises(ValidationError):
        member_update(actor=mark, member=mark, is_active=False)


def test_an_inactive_admin_does_not_count_as_the_workspace_admin(alice: Member, mark: Member) -> None:
    member_update(actor=alice, member=mark, role="admin")
    member_update(actor=alice, member=mark, is_active=False)
    with pytest.raises(ValidationError):
        member_update(actor=alice, member=alice, role="csm")


def test_a_change_is_audited_with_before_and_after(alice: Member, carol: Member) -> None:
    member_update(actor=alice, member=carol, role="manager", capacity=Decimal(40))
    entry = AuditEntry.objects.get(action="member.updated")
    assert (entry.actor, entry.actor_name, entry.target_id) == (alice, "Alice", str(carol.pk))
    assert entry.detail == {"role": ["csm", "manager"]}  # the capacity did not change
    member_update(actor=alice, member=carol, role="manager")
    assert AuditEntry.objects.filter(action="member.updated").count() == 1  # nothing changed, nothing logged
