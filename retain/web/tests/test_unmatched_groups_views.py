"""The unmatched-groups page and the unknown-groupIds setting: admins choose, see, link and create;
everyone else gets 403, the outsider 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.tenancy.choices import UnknownGroups
from retain.tenancy.models import Member, Workspace
from retain.usage.models import UnmatchedGroup, UsageEvent

pytestmark = pytest.mark.django_db

W = "/w/acme/"
SETTINGS = {
    "name": "Acme CS",
    "time_zone": "UTC",
    "currency": "USD",
    "renewal_window_community_days": "90",
    "renewal_window_enterprise_days": "90",
    "renewal_window_strategic_days": "90",
    "gross_margin_pct": "75",
}


def login(member: Member) -> Client:
    client = Client()
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def held(workspace: Workspace, group_id: str, events: int, **traits: Any) -> UnmatchedGroup:
    now = timezone.now()
    UsageEvent.objects.bulk_create(
        UsageEvent(
            workspace=workspace, message_id=f"{group_id}-{n}", type="track", name="Signed In", user_id="u1",
            group_id=group_id, timestamp=now, received_at=now,
        )
        for n in range(events)
    )  # fmt: skip
    return UnmatchedGroup.objects.create(
        workspace=workspace, group_id=group_id, traits=traits, calls=1, first_seen_at=now, last_seen_at=now
    )


def test_an_admin_chooses_to_hold_unknown_groups(alice: Member, mark: Member, workspace: Workspace) -> None:
    assert workspace.unknown_groups == UnknownGroups.CREATE
    assert login(mark).post(W + "settings/", {**SETTINGS, "unknown_groups": "hold"}).status_code == 403
    assert login(alice).post(W + "settings/", {**SETTINGS, "unknown_groups": "hold"}).status_code == 302
    workspace.refresh_from_db()
    assert workspace.unknown_groups == UnknownGroups.HOLD
    # A post without the field leaves it as it is.
    assert login(alice).post(W + "settings/", SETTINGS).status_code == 302
    workspace.refresh_from_db()
    assert workspace.unknown_groups == UnknownGroups.HOLD
    refused = login(alice).post(W + "settings/", {**SETTINGS, "unknown_groups": "drop"})
    assert refused.status_code == 400 and 'data-field="unknown_groups"' in refused.content.decode()


def test_the_page_lists_held_group_ids_with_their_waiting_events(
    alice: Member, workspace: Workspace, account: Account
) -> None:
    held(workspace, "globx", 3, name="Glbex")
    held(workspace, "acct-9", 1)
    page = login(alice).get(W + "unmatched-groups/").content.decode()
    assert 'data-group="globx"' in page and 'data-group="acct-9"' in page
    assert 'data-events="3"' in page and 'data-events="1"' in page
    assert "Glbex" in page and "Create account" in page


def test_an_admin_links_a_held_group_id_to_an_account(alice: Member, workspace: Workspace, account: Account) -> None:
    group = held(workspace, "globx", 2)
    response = login(alice).post(W + f"unmatched-groups/{group.pk}/", {"action": "link", "account": account.pk})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.account, group.resolved_by) == (account, alice)
    assert UsageEvent.objects.filter(account=account, group_id="globx").count() == 2


def test_an_admin_creates_the_account_of_a_held_group_id(alice: Member, workspace: Workspace) -> None:
    group = held(workspace, "acct-9", 1, name="Initech")
    assert login(alice).post(W + f"unmatched-groups/{group.pk}/", {"action": "create"}).status_code == 302
    account = Account.objects.get(external_id="acct-9")
    assert account.name == "Initech" and not account.from_unknown_group


def test_a_bad_link_names_the_field_and_changes_nothing(
    alice: Member, workspace: Workspace, other_workspace: Workspace
) -> None:
    group = held(workspace, "globx", 1)
    foreign = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Theirs")
    client = login(alice)
    refused = client.post(W + f"unmatched-groups/{group.pk}/", {"action": "link", "account": foreign.pk})
    assert refused.status_code == 400 and 'data-field="account"' in refused.content.decode()
    unknown = client.post(W + f"unmatched-groups/{group.pk}/", {"action": "merge"})
    assert unknown.status_code == 400 and "action: must be link or create" in unknown.content.decode()
    group.refresh_from_db()
    assert group.account is None


def test_only_admins_see_or_resolve_unmatched_groups(
    mark: Member, carol: Member, vic: Member, olga: Member, workspace: Workspace, account: Account
) -> None:
    group = held(workspace, "globx", 1)
    for member in (mark, carol, vic):
        client = login(member)
        assert client.get(W + "unmatched-groups/").status_code == 403
        assert client.post(W + f"unmatched-groups/{group.pk}/", {"action": "create"}).status_code == 403
    outsider = login(olga)
    assert outsider.get(W + "unmatched-groups/").status_code == 404
    assert outsider.post(W + f"unmatched-groups/{group.pk}/", {"action": "create"}).status_code == 404
    # Nor through their own workspace's address.
    assert outsider.post(f"/w/other/unmatched-groups/{group.pk}/", {"action": "create"}).status_code == 404
    group.refresh_from_db()
    assert group.account is None and not Account.objects.filter(external_id="globx").exists()


def test_the_account_page_marks_an_account_from_an_unknown_group_id(alice: Member, workspace: Workspace) -> None:
    account = account_services.account_create(
        workspace=workspace, actor=None, via="ingest", name="g-l", external_id="g-l", from_unknown_group=True
    )
    assert "data-unknown-group" in login(alice).get(W + f"accounts/{account.pk}/").content.decode()
