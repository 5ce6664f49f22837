"""Access helpers: outsiders get 404 for everything, readers 403 on writes, CSMs edit their book."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from retain import access
from retain.accounts.models import Account
from retain.tenancy.models import Member
from retain.tenancy.services import member_update


def test_it_checks_membership(account: Account, alice: Member, olga: Member) -> None:
    assert access.get_member(alice.user, "acme") == alice
    with pytest.raises(Http404):
        access.get_member(olga.user, "acme")
    with pytest.raises(Http404):
        access.get_member(alice.user, "no-such-workspace")


def test_a_deactivated_member_is_an_outsider(carol: Member) -> None:
    member_update(actor=None, member=carol, is_active=False)
    with pytest.raises(Http404):
        access.get_member(carol.user, "acme")


def test_it_checks_ownership(account: Account, olga: Member) -> None:
    with pytest.raises(Http404):
        access.get_account_for_user(olga, account.pk)
    with pytest.raises(Http404):
        access.get_rw_account_for_user(olga, account.pk)
    with pytest.raises(Http404):
        access.get_account_for_user(olga, "not-a-number")


def test_it_requires_rw_access(
    account: Account, alice: Member, mark: Member, carol: Member, dave: Member, vic: Member
) -> None:
    for reader in (vic, dave):
        assert access.get_account_for_user(reader, account.pk) == account
        with pytest.raises(PermissionDenied):
            access.get_rw_account_for_user(reader, account.pk)
    for writer in (alice, mark, carol):
        assert access.get_rw_account_for_user(writer, account.pk) == account


def test_role_gates(alice: Member, mark: Member, carol: Member, vic: Member) -> None:
    access.require_admin(alice)
    access.require_manager(mark)
    access.require_write(carol)
    with pytest.raises(PermissionDenied):
        access.require_write(vic)
    with pytest.raises(PermissionDenied):
        access.require_manager(carol)
    with pytest.raises(PermissionDenied):
        access.require_admin(mark)
