"""Group calls with a groupId no account has: created and marked (the default), or held for an admin
who links them to an account or creates it; either way they raise no alarm."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.health import services as health_services
from retain.health.choices import Band
from retain.health.models import HealthScore
from retain.tenancy.choices import AuditAction, UnknownGroups
from retain.tenancy.models import AuditEntry, Member, Workspace
from retain.tenancy.services import workspace_update, write_key_create
from retain.usage import selectors, services
from retain.usage.models import RollupDirty, UnmatchedGroup, UsageEvent, UsageUser

pytestmark = pytest.mark.urls("retain.usage.tests.urls")


@pytest.fixture
def key(workspace: Workspace) -> str:
    return write_key_create(workspace=workspace, name="Product")[1]


@pytest.fixture
def holding(workspace: Workspace) -> Workspace:
    workspace_update(workspace=workspace, unknown_groups=UnknownGroups.HOLD)
    return workspace


def send(client: Client, key: str, *calls: dict[str, Any]) -> dict[str, Any]:
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    response = client.post(
        "/v1/batch", data=json.dumps({"batch": list(calls)}), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def group(message_id: str, group_id: str, user: str = "u1", **traits: Any) -> dict[str, Any]:
    return {"type": "group", "userId": user, "groupId": group_id, "messageId": message_id, "traits": traits}


def track(message_id: str, group_id: str = "", user: str = "u1") -> dict[str, Any]:
    call: dict[str, Any] = {"type": "track", "userId": user, "event": "Signed In", "messageId": message_id}
    if group_id:
        call["context"] = {"groupId": group_id}
    return call


def identify(message_id: str, user: str, email: str) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "messageId": message_id, "traits": {"email": email}}


# Created (the default) ----------------------------------------------------------------------------


def test_by_default_an_unknown_group_id_creates_a_marked_account_that_is_not_scored(
    client: Client, key: str, workspace: Workspace
) -> None:
    assert workspace.unknown_groups == UnknownGroups.CREATE
    known = account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Globex", external_id="g-1"
    )
    send(client, key, group("m1", "g-1", name="Globex"), group("m2", "g-l", name="Globex typo"), track("t1", "g-l"))
    typo = Account.objects.get(external_id="g-l")
    known.refresh_from_db()
    assert (typo.from_unknown_group, typo.mrr, typo.subscriptions.count()) == (True, 0, 0)
    assert not known.from_unknown_group
    assert UsageEvent.objects.get(message_id="t1").account == typo
    health_services.health_recompute(workspace=workspace, day=workspace_today(workspace))
    score = HealthScore.objects.get(account=typo)
    assert (score.band, score.not_scored_reason) == (Band.BLANK, "created by a group call with an unknown groupId")
    assert list(selectors.unknown_group_accounts(workspace)) == [typo]
    assert not UnmatchedGroup.objects.exists()


# Held for an admin --------------------------------------------------------------------------------


def test_a_held_group_id_creates_no_account_and_counts_its_waiting_events(
    client: Client, key: str, holding: Workspace
) -> None:
    send(
        client,
        key,
        identify("i1", "u7", "kim@initech.example"),
        group("g1", "acct-typo", user="u7", name="Initech"),
        track("t1", "acct-typo", user="u7"),
        track("t2", "acct-typo", user="u7"),
        group("g2", "acct-typo", user="u8", name="Initech Inc"),
        track("t3", "other-typo"),
    )
    assert not Account.objects.exists()
    held = UnmatchedGroup.objects.get(group_id="acct-typo")
    assert (held.calls, held.traits, held.account) == (2, {"name": "Initech Inc"}, None)
    # `events` is the selector's annotation, which the type checker does not see.
    counts = {row.group_id: row.events for row in selectors.unmatched_groups(holding)}  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    # The two group calls and the two track calls naming it; "other-typo" had no group call.
    assert counts == {"acct-typo": 4}
    assert set(UsageUser.objects.values_list("user_id", "held_group_id")) == {("u7", "acct-typo"), ("u8", "acct-typo")}


def test_linking_a_held_group_id_moves_its_users_and_events_and_sends_later_calls_there(
    client: Client, key: str, holding: Workspace, alice: Member
) -> None:
    globex = account_services.account_create(
        workspace=holding, actor=None, via="test", name="Globex", external_id="crm-globex"
    )
    send(
        client,
        key,
        identify("i1", "u7", "kim@globex.example"),
        group("g1", "globx", user="u7", name="Glbex"),
        track("t1", "globx", user="u7"),
        track("t2", user="u7"),  # no groupId: it waits with its user
    )
    held = UnmatchedGroup.objects.get()
    moved = services.unmatched_group_link(group=held, account=globex, actor=alice)
    assert moved == 4
    # The user's calls without a groupId follow the user, as when a group call names a known account.
    assert set(UsageEvent.objects.values_list("message_id", "account_id")) == {
        ("i1", globex.pk),
        ("g1", globex.pk),
        ("t1", globex.pk),
        ("t2", globex.pk),
    }
    user = UsageUser.objects.get(user_id="u7")
    assert (user.account, user.held_group_id) == (globex, "")
    assert Contact.objects.get().account == globex
    assert RollupDirty.objects.filter(account=globex).exists()
    entry = AuditEntry.objects.get(action=AuditAction.UNMATCHED_GROUP_RESOLVED)
    assert entry.detail["group_id"] == "globx" and entry.detail["how"] == "linked"
    # From now on the typo's calls go to Globex, and do not rename it.
    send(client, key, track("t3", "globx", user="u9"), group("g2", "globx", user="u9", name="Glbex"))
    globex.refresh_from_db()
    assert UsageEvent.objects.get(message_id="t3").account == globex
    assert UsageUser.objects.get(user_id="u9").account == globex
    assert globex.name == "Globex"
    assert Account.objects.count() == 1 and UnmatchedGroup.objects.get().calls == 1


def test_creating_a_held_group_s_account_uses_its_traits_and_is_not_marked(
    client: Client, key: str, holding: Workspace, alice: Member
) -> None:
    send(client, key, group("g1", "acct-9", name="Initech", website="https://initech.example", plan="pro"))
    send(client, key, track("t1", "acct-9"))
    account = services.unmatched_group_create_account(group=UnmatchedGroup.objects.get(), actor=alice)
    assert (account.name, account.domain, account.external_id, account.traits) == (
        "Initech",
        "initech.example",
        "acct-9",
        {"plan": "pro"},
    )
    assert not account.from_unknown_group
    assert set(UsageEvent.objects.values_list("account_id", flat=True)) == {account.pk}
    assert UnmatchedGroup.objects.get().account == account


def test_a_group_is_linked_once_and_only_to_an_account_of_its_workspace(
    client: Client, key: str, holding: Workspace, alice: Member, other_workspace: Workspace
) -> None:
    send(client, key, group("g1", "acct-9"))
    held = UnmatchedGroup.objects.get()
    foreign = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Theirs")
    with pytest.raises(ValidationError) as caught:
        services.unmatched_group_link(group=held, account=foreign, actor=alice)
    assert caught.value.message_dict == {"account": ["no such account in this workspace"]}
    mine = account_services.account_create(workspace=holding, actor=None, via="test", name="Mine")
    services.unmatched_group_link(group=held, account=mine, actor=alice)
    with pytest.raises(ValidationError) as again:
        services.unmatched_group_create_account(group=UnmatchedGroup.objects.get(), actor=alice)
    assert "group" in again.value.message_dict or "external_id" in again.value.message_dict
    assert Account.objects.filter(workspace=holding).count() == 1
