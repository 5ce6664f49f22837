"""Every answer lands on the contact and the account timeline, whichever way it comes in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from retain.accounts.choices import EntryKind
from retain.accounts.models import Contact, TimelineEntry
from retain.surveys import services
from retain.surveys.models import Response, Survey
from retain.surveys.tests.conftest import SendTo
from retain.tenancy.models import Member, Workspace


def kinds(contact: Contact) -> list[str]:
    return list(TimelineEntry.objects.filter(contact=contact).order_by("id").values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("score", "category"),
    [(10, "promoter"), (9, "promoter"), (8, "passive"), (7, "passive"), (6, "detractor"), (0, "detractor")],
)
def test_an_nps_answer_sets_the_contacts_latest_category(nps: Survey, jane: Contact, score: int, category: str) -> None:
    response = services.response_record(survey=nps, contact=jane, score=score, source="api")
    jane.refresh_from_db()
    assert (response.category, jane.nps_score, jane.nps_category) == (category, score, category)
    assert jane.nps_answered_at == response.answered_at
    assert response.account_id == jane.account_id


def test_an_answer_is_on_the_account_timeline(nps: Survey, jane: Contact, carol: Member) -> None:
    services.response_record(survey=nps, contact=jane, score=9, comment="Great support", source="api", actor=carol)
    entry = TimelineEntry.objects.get(kind=EntryKind.SURVEY_ANSWERED)
    assert (entry.account_id, entry.contact, entry.actor, entry.actor_label) == (jane.account_id, jane, carol, "api")
    assert entry.data["score"] == 9 and entry.data["category"] == "promoter"
    assert "Jane answered Relationship NPS: 9/10 (promoter)" in entry.summary


def test_a_detractor_writes_its_own_entry(nps: Survey, jane: Contact) -> None:
    services.response_record(survey=nps, contact=jane, score=4, comment="Too slow", source="api")
    assert kinds(jane)[-2:] == [EntryKind.SURVEY_ANSWERED, EntryKind.DETRACTOR_ANSWERED]
    entry = TimelineEntry.objects.get(kind=EntryKind.DETRACTOR_ANSWERED)
    assert entry.data["score"] == 4 and entry.data["comment"] == "Too slow"


def test_a_passive_writes_no_detractor_entry(nps: Survey, jane: Contact) -> None:
    services.response_record(survey=nps, contact=jane, score=7, source="api")
    assert EntryKind.DETRACTOR_ANSWERED not in kinds(jane)


@pytest.mark.parametrize(("score", "low"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_csat_of_two_or_less_writes_a_low_csat_entry(csat: Survey, jane: Contact, score: int, low: bool) -> None:
    response = services.response_record(survey=csat, contact=jane, score=score, source="api")
    assert (EntryKind.LOW_CSAT_ANSWERED in kinds(jane)) is low
    jane.refresh_from_db()
    assert jane.nps_category == ""  # CSAT leaves the NPS category alone
    assert response.category == {1: "dissatisfied", 2: "dissatisfied", 3: "neutral", 5: "satisfied"}[score]


def test_changing_an_answer_updates_it_and_the_timeline_says_so(nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, _ = send_to(nps, jane)
    first = services.response_record(survey=nps, contact=jane, score=3, source="email", invitation=invitation)
    second = services.response_record(survey=nps, contact=jane, score=9, source="email", invitation=invitation)
    assert first.pk == second.pk and Response.objects.count() == 1
    assert (second.score, second.category, second.changes) == (9, "promoter", 1)
    changed = TimelineEntry.objects.filter(kind=EntryKind.SURVEY_ANSWERED).order_by("id").last()
    assert changed is not None and changed.data["changed_from"] == 3
    assert "changed their Relationship NPS answer from 3 to 9" in changed.summary
    jane.refresh_from_db()
    assert jane.nps_category == "promoter"


def test_a_detractor_entry_is_written_once_per_response(nps: Survey, jane: Contact, send_to: SendTo) -> None:
    invitation, _ = send_to(nps, jane)
    for score in (3, 2, 9, 1):
        services.response_record(survey=nps, contact=jane, score=score, source="email", invitation=invitation)
    assert TimelineEntry.objects.filter(kind=EntryKind.DETRACTOR_ANSWERED).count() == 1


def test_an_older_answer_does_not_replace_the_latest(nps: Survey, jane: Contact) -> None:
    services.response_record(survey=nps, contact=jane, score=10, source="api")
    last_year = timezone.now() - dt.timedelta(days=300)
    services.response_record(survey=nps, contact=jane, score=2, source="import", answered_at=last_year)
    jane.refresh_from_db()
    assert (jane.nps_score, jane.nps_category) == (10, "promoter")


def test_a_resent_answer_with_the_same_source_key_is_recorded_once(nps: Survey, jane: Contact) -> None:
    for _ in range(2):
        services.response_record(survey=nps, contact=jane, score=8, source="import", source_key="import:row-7")
    assert Response.objects.count() == 1
    assert TimelineEntry.objects.filter(kind=EntryKind.SURVEY_ANSWERED).count() == 1


@pytest.mark.parametrize("score", [11, -1, "9", 7.5, True, None])
def test_a_bad_nps_score_names_the_field(nps: Survey, jane: Contact, score: object) -> None:
    with pytest.raises(ValidationError) as caught:
        services.response_record(survey=nps, contact=jane, score=score, source="api")
    assert caught.value.message_dict == {"score": ["must be a whole number from 0 to 10"]}
    assert Response.objects.count() == 0


def test_a_csat_score_is_one_to_five(csat: Survey, jane: Contact) -> None:
    with pytest.raises(ValidationError, match="from 1 to 5"):
        services.response_record(survey=csat, contact=jane, score=0, source="api")


def test_a_future_answer_is_refused(nps: Survey, jane: Contact) -> None:
    with pytest.raises(ValidationError) as caught:
        services.response_record(
            survey=nps, contact=jane, score=8, source="api", answered_at=timezone.now() + dt.timedelta(days=1)
        )
    assert caught.value.message_dict == {"answered_at": ["is in the future"]}


def test_a_contact_of_another_workspace_is_refused(nps: Survey, other_workspace: Workspace) -> None:
    from retain.accounts import services as account_services

    elsewhere = account_services.account_create(workspace=other_workspace, actor=None, via="test", name="Initech")
    stranger = account_services.contact_create(account=elsewhere, actor=None, via="test", email="bob@initech.example")
    with pytest.raises(ValidationError) as caught:
        services.response_record(survey=nps, contact=stranger, score=8, source="api")
    assert caught.value.message_dict == {"contact": ["no such contact in this workspace"]}


def test_a_survey_definition_names_the_bad_field(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        services.survey_create(
            workspace=workspace, actor=None, name="Renewal NPS", kind="nps", schedule_kind="before_renewal"
        )
    assert set(caught.value.message_dict) == {"schedule_days"}
    with pytest.raises(ValidationError) as caught:
        services.survey_create(
            workspace=workspace, actor=None, name="X", kind="nps", schedule_kind="manual", roles=["chief"]
        )
    assert set(caught.value.message_dict) == {"roles"}
    with pytest.raises(ValidationError) as caught:
        services.survey_create(workspace=workspace, actor=None, name="X", kind="nps", schedule_kind="after_event")
    assert set(caught.value.message_dict) == {"trigger_kind"}
    with pytest.raises(ValidationError) as caught:
        services.survey_create(workspace=workspace, actor=None, name="X", kind="stars", schedule_kind="manual")
    assert "kind" in caught.value.message_dict


def test_a_survey_name_is_unique_in_its_workspace(nps: Survey, workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        services.survey_create(workspace=workspace, actor=None, name=nps.name, kind="csat", schedule_kind="manual")
    assert set(caught.value.message_dict) == {"name"}


def test_the_question_defaults_to_the_standard_wording(nps: Survey) -> None:
    assert nps.question == "How likely are you to recommend Acme CS to a friend or colleague?"
