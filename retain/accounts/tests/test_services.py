"""Accounts, contacts and touchpoints: every change validated, and written on the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts import services
from retain.accounts.choices import ContactStatus, EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import days_since_last_touchpoint, next_renewal_on
from retain.tenancy.models import Member, Workspace


def test_creating_an_account_writes_who_did_it(workspace: Workspace, carol: Member) -> None:
    account = services.account_create(
        workspace=workspace, actor=carol, via="web", name="Umbrella", domain="Umbrella.Example"
    )
    entry = TimelineEntry.objects.get(account=account)
    assert entry.kind == EntryKind.ACCOUNT_CREATED
    assert entry.actor == carol
    assert entry.actor_label == "web"
    assert account.domain == "umbrella.example"


def test_a_bad_choice_is_refused_naming_the_field(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        services.account_create(workspace=workspace, actor=None, via="test", name="X", tier="gold")
    assert "tier" in caught.value.message_dict
    assert not Account.objects.exists()


def test_an_external_id_is_unique_within_a_workspace_only(account: Account, other_workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        services.account_create(workspace=account.workspace, actor=None, via="test", name="Copy", external_id="crm-1")
    assert "already used" in caught.value.message_dict["external_id"][0]
    services.account_create(workspace=other_workspace, actor=None, via="test", name="Copy", external_id="crm-1")


def test_an_update_that_changes_nothing_writes_nothing(account: Account) -> None:
    before = TimelineEntry.objects.count()
    assert services.account_update(account=account, actor=None, via="test", name="Globex", tier="enterprise") == {}
    assert TimelineEntry.objects.count() == before


def test_an_update_records_each_change_from_and_to(account: Account, mark: Member) -> None:
    changes = services.account_update(account=account, actor=mark, via="web", tier="strategic", industry="Retail")
    assert set(changes) == {"tier", "industry"}
    entry = TimelineEntry.objects.filter(account=account, kind=EntryKind.ACCOUNT_UPDATED).get()
    assert entry.data["changes"]["tier"] == {"from": "enterprise", "to": "strategic"}
    assert "tier enterprise → strategic" in entry.summary


def test_a_stage_change_restarts_the_time_in_stage(account: Account) -> None:
    account.stage_entered_on = dt.date(2020, 1, 1)
    account.save()
    services.account_update(account=account, actor=None, via="test", stage="adoption")
    assert account.stage_entered_on != dt.date(2020, 1, 1)


def test_a_stage_change_is_a_lifecycle_move_with_its_reason(account: Account, mark: Member) -> None:
    changes = services.account_update(
        account=account, actor=mark, via="web", stage="renewal", industry="Retail", reason="Renewal call booked"
    )
    assert changes["stage"] == ("onboarding", "renewal")
    entry = TimelineEntry.objects.filter(kind=EntryKind.STAGE_CHANGED).get()
    assert entry.summary == "Stage: onboarding → renewal — Renewal call booked"
    assert entry.data == {"from": "onboarding", "to": "renewal", "reason": "Renewal call booked", "auto": False}
    # The other fields changed with it keep their own entry, without the stage.
    other = TimelineEntry.objects.filter(kind=EntryKind.ACCOUNT_UPDATED).get()
    assert set(other.data["changes"]) == {"industry"}


def test_an_owner_must_be_an_active_non_viewer_member(account: Account, vic: Member, olga: Member) -> None:
    for owner in (vic, olga):
        with pytest.raises(ValidationError) as caught:
            services.account_update(account=account, actor=None, via="test", owner=owner)
        assert "owner" in caught.value.message_dict


def test_moving_a_book_records_the_move_on_each_account(
    workspace: Workspace, account: Account, carol: Member, dave: Member, mark: Member
) -> None:
    second = services.account_create(workspace=workspace, actor=None, via="test", name="Soylent", owner=carol)
    moved = services.accounts_reassign(
        workspace=workspace,
        actor=mark,
        via="web",
        accounts=Account.objects.filter(owner=carol),
        new_owner=dave,
        reason="Carol left",
    )
    assert moved == 2
    assert set(Account.objects.filter(owner=dave)) == {account, second}
    entries = TimelineEntry.objects.filter(kind=EntryKind.OWNER_CHANGED)
    assert entries.count() == 2
    assert all("Carol left" in entry.summary and entry.actor == mark for entry in entries)


def test_a_contact_leaving_is_its_own_fact(account: Account) -> None:
    contact = services.contact_create(
        account=account, actor=None, via="test", email="Ann@Globex.example", role="champion"
    )
    assert contact.email == "ann@globex.example"
    services.contact_update(contact=contact, actor=None, via="test", status=ContactStatus.LEFT)
    entry = TimelineEntry.objects.get(kind=EntryKind.CONTACT_LEFT)
    assert entry.contact == contact
    assert entry.data["role"] == "champion"
    assert contact.left_on is not None


def test_two_contacts_cannot_share_an_email(account: Account) -> None:
    services.contact_create(account=account, actor=None, via="test", email="ann@globex.example")
    with pytest.raises(ValidationError) as caught:
        services.contact_create(account=account, actor=None, via="test", email="ANN@globex.example")
    assert "email" in caught.value.message_dict


def test_a_touchpoint_gives_days_since_the_last_one(account: Account, carol: Member) -> None:
    assert days_since_last_touchpoint(account) is None
    champion = services.contact_create(account=account, actor=None, via="test", email="ann@globex.example")
    services.touchpoint_log(
        account=account, actor=carol, via="web", kind="call", occurred_at=timezone.now() - dt.timedelta(days=3),
        summary="Quarterly check-in", contacts=[champion], next_step="Send the QBR deck",
    )  # fmt: skip
    assert days_since_last_touchpoint(account) == 3
    entry = TimelineEntry.objects.get(kind=EntryKind.TOUCHPOINT_LOGGED)
    assert entry.summary.startswith("Call by Carol: Quarterly check-in")


def test_a_touchpoint_only_names_contacts_of_its_account(workspace: Workspace, account: Account) -> None:
    other = services.account_create(workspace=workspace, actor=None, via="test", name="Other")
    stranger = services.contact_create(account=other, actor=None, via="test", email="x@other.example")
    with pytest.raises(ValidationError) as caught:
        services.touchpoint_log(
            account=account,
            actor=None,
            via="test",
            kind="note",
            occurred_at=timezone.now(),
            summary="Hi",
            contacts=[stranger],
        )
    assert "contacts" in caught.value.message_dict


def test_next_renewal_is_the_earliest_active_term_end(account: Account) -> None:
    assert next_renewal_on(account) == dt.date.today() + dt.timedelta(days=60)
