"""Erasing a contact removes their personal data from every table and keeps the aggregates they counted in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import ContactStatus, EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging.choices import Channel, DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.services import suppression_add
from retain.ownership import services
from retain.ownership.tables import owned_tables
from retain.ownership.tests.search import mentions
from retain.surveys.models import Response
from retain.surveys.services import response_record, survey_create
from retain.tasks.models import Task
from retain.tasks.services import task_create
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import AuditEntry, Member, Workspace
from retain.tenancy.services import member_add, write_key_create
from retain.usage.events import check_calls
from retain.usage.models import DailyAccountUsage, DailyUserUsage, UsageEvent, UsageUser
from retain.usage.rollups import rollups_fold
from retain.usage.services import ingest_calls

EMAIL = "jane.doe@globex.example"
NAME = "Jane Doe"
NOW = timezone.now().replace(microsecond=0)


def _send(workspace: Workspace, *calls: dict[str, Any]) -> None:
    key = write_key_create(workspace=workspace, name="Product")[0]
    for n, call in enumerate(calls):
        call.setdefault("messageId", f"m-{n}")
        call.setdefault("timestamp", (NOW - dt.timedelta(hours=n + 1)).isoformat())
    checked = check_calls({"batch": list(calls)}, default_type=None, received_at=NOW)
    assert not checked.rejections, checked.rejections
    ingest_calls(write_key=key, checked=checked, received_at=NOW, raw_calls=list(calls))


@pytest.fixture
def jane_doe(workspace: Workspace, account: Account, carol: Member) -> Contact:
    """Jane Doe, everywhere a contact leaves traces: product usage, a survey answer, a call, a task, e-mail."""
    jane = account_services.contact_create(
        account=account, actor=carol, via="test", email=EMAIL, first_name="Jane", last_name="Doe", role="champion"
    )
    account_services.contact_create(
        account=account, actor=carol, via="test", email="john.roe@globex.example", first_name="John", last_name="Roe"
    )
    _send(
        workspace,
        {"type": "identify", "userId": "u-17", "traits": {"email": EMAIL, "name": NAME, "plan": "pro"}},
        {"type": "group", "userId": "u-17", "groupId": "crm-1"},
        {"type": "track", "userId": "u-17", "event": "Lead Created", "context": {"groupId": "crm-1"}},
        {
            "type": "track",
            "userId": "u-99",
            "event": "Invite Sent",
            "properties": {"invitee": EMAIL.upper(), "note": f"for {NAME}"},
            "context": {"groupId": "crm-1"},
        },
        {"type": "track", "userId": "john.roe@globex.example", "event": "Signed In", "context": {"groupId": "crm-1"}},
    )
    rollups_fold(workspace=workspace)
    UsageUser.objects.filter(workspace=workspace, user_id="u-17").update(contact=jane)
    survey = survey_create(
        workspace=workspace, actor=carol, name="NPS", kind="nps", schedule_kind="recurring", schedule_days=90
    )
    response_record(survey=survey, contact=jane, score=9, comment=f"{NAME} here: love it", source="api")
    account_services.touchpoint_log(
        account=account,
        actor=carol,
        via="test",
        kind="call",
        occurred_at=NOW,
        summary=f"Call with {NAME} about onboarding",
        contacts=[jane],
        next_step=f"Send {EMAIL} the deck",
    )
    task_create(account=account, title=f"Send {NAME} the deck", kind="other", due_on=NOW.date(), actor=carol)
    task_create(account=account, title="Follow up with Jane next week", kind="other", due_on=NOW.date(), actor=carol)
    OutboundMessage.objects.create(
        workspace=workspace,
        account=account,
        contact=jane,
        channel=Channel.EMAIL,
        to=EMAIL,
        subject="Your QBR",
        body=f"Hi {NAME},",
        idempotency_key="qbr-1",
        next_attempt_at=NOW,
    )
    suppression_add(workspace=workspace, email=EMAIL, reason="manual", note="asked by phone")
    return jane


def _aggregates(workspace: Workspace) -> dict[str, Any]:
    return {
        "responses": list(Response.objects.filter(workspace=workspace).values_list("score", "category", "answered_at")),
        "events": UsageEvent.objects.filter(workspace=workspace).count(),
        "user days": DailyUserUsage.objects.filter(workspace=workspace).count(),
        "account days": list(
            DailyAccountUsage.objects.filter(workspace=workspace).values_list("day", "events", "active_users")
        ),
        "contacts": Contact.objects.filter(workspace=workspace).count(),
    }


@pytest.mark.django_db
def test_no_text_column_of_any_table_holds_the_erased_email_or_name(workspace: Workspace, jane_doe: Contact) -> None:
    assert mentions(EMAIL) and mentions(NAME)  # the setup did leave traces everywhere
    services.contact_erase(actor=None, contact=jane_doe, via="test")
    assert mentions(EMAIL) == []
    assert mentions(NAME) == []
    assert mentions("u-17") == []  # her product user id, pseudonymised
    # Her first name alone, in her account's notes, goes too.
    assert not Task.objects.filter(title__icontains="jane").exists()
    assert Task.objects.filter(title="Follow up with [erased] next week").exists()


@pytest.mark.django_db
def test_aggregates_stay_and_other_people_keep_their_data(workspace: Workspace, jane_doe: Contact) -> None:
    before = _aggregates(workspace)
    services.contact_erase(actor=None, contact=jane_doe, via="test")
    assert _aggregates(workspace) == before
    assert mentions("john.roe@globex.example") and mentions("John")
    jane_doe.refresh_from_db()
    assert (jane_doe.status, jane_doe.email, jane_doe.full_name) == (ContactStatus.ERASED, "", "")


@pytest.mark.django_db
def test_a_message_not_yet_sent_is_stopped(jane_doe: Contact) -> None:
    services.contact_erase(actor=None, contact=jane_doe, via="test")
    message = OutboundMessage.objects.get(idempotency_key="qbr-1")
    assert (message.status, message.next_attempt_at, message.to, message.body) == (
        DeliveryStatus.SUPPRESSED,
        None,
        "[erased]",
        "",
    )


@pytest.mark.django_db
def test_the_erasure_is_on_the_timeline_with_counts_and_without_the_data(jane_doe: Contact, alice: Member) -> None:
    report = services.contact_erase(actor=alice, contact=jane_doe, via="web")
    entry = TimelineEntry.objects.get(kind=EntryKind.CONTACT_ERASED)
    assert entry.actor == alice and entry.contact_id == jane_doe.pk
    assert entry.data == {"contact_id": jane_doe.pk, "counts": report.rows}
    assert report.rows["product users"] == 1 and report.rows["survey comments"] == 1
    assert "Jane" not in entry.summary and "Jane" not in str(entry.data)
    # The audit log says who erased whom by id, with the counts, never the name.
    [audit] = AuditEntry.objects.filter(action=AuditAction.ERASURE)
    assert (audit.actor, audit.target) == (alice, f"contact #{jane_doe.pk}")
    assert audit.detail == {"rows": report.rows, "via": "web"} and "Jane" not in str(audit.detail)


@pytest.mark.django_db
def test_a_contact_is_erased_once(jane_doe: Contact) -> None:
    services.contact_erase(actor=None, contact=jane_doe, via="test")
    with pytest.raises(ValidationError) as caught:
        services.contact_erase(actor=None, contact=jane_doe, via="test")
    assert "contact" in caught.value.message_dict


@pytest.mark.django_db
def test_a_one_word_name_is_erased_in_its_own_account_only(workspace: Workspace, account: Account) -> None:
    other = account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech")
    prince = account_services.contact_create(account=account, actor=None, via="test", first_name="Prince")
    namesake = account_services.contact_create(account=other, actor=None, via="test", first_name="Prince")
    services.contact_erase(actor=None, contact=prince, via="test")
    assert TimelineEntry.objects.filter(account=other, summary__contains="Prince").exists()
    assert not TimelineEntry.objects.filter(account=account, summary__contains="Prince").exists()
    namesake.refresh_from_db()
    assert namesake.first_name == "Prince"


# Deleting a workspace ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleting_a_workspace_leaves_no_row_of_it_and_no_login_only_it_used(
    workspace: Workspace, jane_doe: Contact, alice: Member, olga: Member
) -> None:
    both = member_add(workspace=workspace, email="bea@both.example", role="viewer")
    member_add(workspace=olga.workspace, email="bea@both.example", role="viewer")
    other_account = account_services.account_create(workspace=olga.workspace, actor=None, via="test", name="Umbrella")
    ws = workspace.pk

    deleted = services.workspace_delete(actor=alice, workspace=workspace)

    assert not Workspace.objects.filter(pk=ws).exists()
    for spec in owned_tables():
        assert not spec.rows_of(ws).exists(), spec.label
    assert mentions(EMAIL) == [] and mentions(NAME) == [] and mentions("alice@acme.example") == []
    assert deleted["accounts.contact"] == 2 and deleted["users"] >= 1
    # The other workspace, and a login it still uses, are untouched.
    assert Account.objects.filter(pk=other_account.pk).exists()
    assert get_user_model().objects.filter(pk=both.user_id).exists()
    assert Member.objects.filter(workspace=olga.workspace).count() == 2


@pytest.mark.django_db
def test_erased_cannot_be_set_by_hand(account: Account, jane: Contact) -> None:
    """Only the erasure marks a contact erased; otherwise a contact could look erased and keep its data."""
    with pytest.raises(ValidationError) as caught:
        account_services.contact_update(contact=jane, actor=None, via="test", status=ContactStatus.ERASED)
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError):
        account_services.contact_create(account=account, actor=None, via="test", email="x@y.example", status="erased")
