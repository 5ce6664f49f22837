"""Defining surveys on the web, and snoozing a contact's surveys from the account page.

Managers and admins define surveys; a CSM and the viewer Vic get 403; the outsider Olga gets 404.
Whoever may edit an account snoozes its contacts (Carol for her book); Vic and Dave get 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact, Segment
from retain.accounts.selectors import workspace_today
from retain.messaging import services as messaging_services
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import Inbox
from retain.surveys import services
from retain.surveys.models import Invitation, Survey
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


def definition(**changes: Any) -> dict[str, Any]:
    """A before-renewal NPS survey of champions, as the form posts it."""
    data: dict[str, Any] = {
        "name": "Renewal NPS",
        "kind": "nps",
        "question": "",
        "ask_why": "on",
        "segment": "",
        "roles": ["champion"],
        "schedule_kind": "before_renewal",
        "schedule_days": "120",
        "trigger_kind": "",
        "validity_days": "30",
        "fatigue_limit": "2",
        "fatigue_window_days": "365",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def nps(workspace: Workspace, mark: Member) -> Survey:
    return services.survey_create(
        workspace=workspace, actor=mark, name="Relationship NPS", kind="nps", schedule_kind="recurring",
        schedule_days=182,
    )  # fmt: skip


# Who may define surveys --------------------------------------------------------------------------


def test_outsider_gets_404(client: Client, nps: Survey, jane: Contact, olga: Member) -> None:
    login(client, olga)
    assert client.get(url("survey-create")).status_code == 404
    assert client.post(url("survey-create"), definition()).status_code == 404
    assert client.get(url("survey-edit", nps.pk)).status_code == 404
    assert client.post(url("survey-edit", nps.pk), definition()).status_code == 404
    assert client.post(url("contact-surveys-snooze", jane.pk)).status_code == 404
    assert Survey.objects.count() == 1
    jane.refresh_from_db()
    assert jane.surveys_snoozed_until is None


def test_a_survey_of_another_workspace_is_404_from_this_one(
    client: Client, other_workspace: Workspace, olga: Member, mark: Member
) -> None:
    theirs = services.survey_create(
        workspace=other_workspace, actor=olga, name="Their NPS", kind="nps", schedule_kind="manual"
    )
    login(client, mark)
    assert client.get(url("survey-edit", theirs.pk)).status_code == 404


@pytest.mark.parametrize("who", ["vic", "carol"])
def test_it_requires_a_manager(client: Client, nps: Survey, who: str, request: pytest.FixtureRequest) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(url("survey-create")).status_code == 403
    assert client.post(url("survey-create"), definition()).status_code == 403
    assert client.get(url("survey-edit", nps.pk)).status_code == 403
    assert client.post(url("survey-edit", nps.pk), definition(name="Mine")).status_code == 403
    assert list(Survey.objects.values_list("name", flat=True)) == ["Relationship NPS"]


def test_the_buttons_show_only_to_those_who_may_use_them(
    client: Client, nps: Survey, vic: Member, mark: Member
) -> None:
    login(client, vic)
    assert url("survey-create").encode() not in client.get(url("surveys")).content
    assert url("survey-edit", nps.pk).encode() not in client.get(url("survey", nps.pk)).content
    login(client, mark)
    assert url("survey-create").encode() in client.get(url("surveys")).content
    assert url("survey-edit", nps.pk).encode() in client.get(url("survey", nps.pk)).content


def test_the_empty_list_no_longer_sends_people_to_the_api_alone(
    client: Client, workspace: Workspace, mark: Member
) -> None:
    login(client, mark)
    page = client.get(url("surveys")).content.decode()
    assert "defined through the API" not in page
    assert "Define one" in page


# Creating and editing ----------------------------------------------------------------------------


def test_a_manager_creates_a_before_renewal_survey_that_the_sweep_plans(
    client: Client, account: Account, jane: Contact, mark: Member
) -> None:
    account_services.contact_create(
        account=account, actor=None, via="test", email="bob@globex.example", first_name="Bob", role="user"
    )
    login(client, mark)
    response = client.post(url("survey-create"), definition())
    survey = Survey.objects.get(name="Renewal NPS")
    assert response.status_code == 302
    assert response["Location"] == url("survey", survey.pk)
    assert (survey.schedule_kind, survey.schedule_days, survey.roles) == ("before_renewal", 120, ["champion"])
    assert (survey.created_by, survey.ask_why, survey.is_active) == (mark, True, True)
    assert survey.question == "How likely are you to recommend Acme CS to a friend or colleague?"
    # Globex renews in 60 days, within the 120: its champion is asked, its user is not.
    assert services.invitations_plan(survey=survey) == 1
    invitation = Invitation.objects.get(survey=survey)
    term_end = workspace_today(account.workspace) + dt.timedelta(days=60)
    assert (invitation.contact, invitation.occurrence) == (jane, f"renewal:{term_end.isoformat()}")


def test_a_survey_renewing_further_out_than_its_days_plans_nothing(
    client: Client, account: Account, jane: Contact, alice: Member
) -> None:
    login(client, alice)
    client.post(url("survey-create"), definition(schedule_days="30"))
    assert services.invitations_plan(survey=Survey.objects.get()) == 0


def test_a_manager_edits_a_survey(client: Client, workspace: Workspace, nps: Survey, mark: Member) -> None:
    segment = account_services.segment_create(
        workspace=workspace, actor=mark, name="Strategic", criteria={"tier": ["strategic"]}
    )
    login(client, mark)
    page = client.get(url("survey-edit", nps.pk))
    assert page.status_code == 200
    assert page.context["form"]["schedule_days"].value() == 182
    response = client.post(
        url("survey-edit", nps.pk),
        definition(
            name="Strategic CSAT",
            kind="csat",
            question=nps.question,
            ask_why=None,
            segment=str(segment.pk),
            roles=["executive_sponsor", "decision_maker"],
            schedule_kind="after_event",
            schedule_days="182",
            trigger_kind="renewal_window_opened",
            fatigue_limit="1",
            fatigue_window_days="180",
            is_active=None,
        ),
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    assert (nps.name, nps.kind, nps.segment, nps.roles) == (
        "Strategic CSAT", "csat", segment, ["executive_sponsor", "decision_maker"]
    )  # fmt: skip
    # The schedule switched: its days are cleared, the entry kind kept.
    assert (nps.schedule_kind, nps.schedule_days, nps.trigger_kind) == ("after_event", None, "renewal_window_opened")
    assert (nps.fatigue_limit, nps.fatigue_window_days, nps.ask_why, nps.is_active) == (1, 180, False, False)
    # The standard NPS question became the standard CSAT one.
    assert nps.question == "How satisfied are you with Acme CS?"


def test_editing_keeps_an_entry_kind_no_app_writes_yet(client: Client, workspace: Workspace, mark: Member) -> None:
    survey = services.survey_create(
        workspace=workspace, actor=mark, name="Initial value CSAT", kind="csat", schedule_kind="after_event",
        trigger_kind="milestone_reached",
    )  # fmt: skip
    login(client, mark)
    data = definition(
        name="Initial value CSAT", kind="csat", schedule_kind="after_event", trigger_kind="milestone_reached"
    )
    assert client.post(url("survey-edit", survey.pk), data).status_code == 302
    survey.refresh_from_db()
    assert survey.trigger_kind == "milestone_reached"


def test_a_segment_of_another_workspace_cannot_be_chosen(
    client: Client, other_workspace: Workspace, olga: Member, mark: Member
) -> None:
    theirs = Segment.objects.create(workspace=other_workspace, name="Theirs", criteria={})
    login(client, mark)
    response = client.post(url("survey-create"), definition(segment=str(theirs.pk)))
    assert response.status_code == 200
    assert "segment" in response.context["form"].errors
    assert not Survey.objects.exists()


# Bad input names the field -----------------------------------------------------------------------


def test_before_renewal_without_days_is_refused_on_the_days_field(
    client: Client, workspace: Workspace, mark: Member
) -> None:
    login(client, mark)
    response = client.post(url("survey-create"), definition(schedule_days=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert "is required" in form.errors["schedule_days"][0]
    assert b'id="field-schedule_days"' in response.content
    assert not Survey.objects.exists()


def test_after_event_without_an_entry_kind_is_refused_on_that_field(
    client: Client, workspace: Workspace, mark: Member
) -> None:
    login(client, mark)
    response = client.post(url("survey-create"), definition(schedule_kind="after_event"))
    assert "trigger_kind" in response.context["form"].errors
    assert not Survey.objects.exists()


def test_a_taken_name_is_refused_on_the_name_field(client: Client, nps: Survey, mark: Member) -> None:
    login(client, mark)
    response = client.post(url("survey-create"), definition(name="Relationship NPS"))
    assert "already the name" in response.context["form"].errors["name"][0]
    assert Survey.objects.count() == 1


def test_the_kind_of_an_answered_survey_cannot_change(client: Client, nps: Survey, jane: Contact, mark: Member) -> None:
    services.response_record(survey=nps, contact=jane, score=9, source="web")
    login(client, mark)
    response = client.post(url("survey-edit", nps.pk), definition(name="Relationship NPS", kind="csat"))
    assert response.status_code == 200
    assert "cannot change" in response.context["form"].errors["kind"][0]
    nps.refresh_from_db()
    assert (nps.kind, nps.schedule_kind) == ("nps", "recurring")


def test_a_fatigue_limit_below_one_is_refused(client: Client, workspace: Workspace, mark: Member) -> None:
    login(client, mark)
    response = client.post(url("survey-create"), definition(fatigue_limit="0"))
    assert "fatigue_limit" in response.context["form"].errors


# Snoozing a contact's surveys --------------------------------------------------------------------


def test_a_csm_snoozes_and_unsnoozes_a_contact_of_its_book(client: Client, jane: Contact, carol: Member) -> None:
    login(client, carol)
    response = client.post(url("contact-surveys-snooze", jane.pk))
    assert response.status_code == 302
    assert response["Location"] == url("account", jane.account_id) + "#contacts"
    jane.refresh_from_db()
    until = workspace_today(jane.workspace) + dt.timedelta(days=90)
    assert jane.surveys_snoozed_until == until
    page = client.get(url("account", jane.account_id)).content.decode()
    assert f"Surveys snoozed until {until.isoformat()}" in page
    assert "Unsnooze" in page
    client.post(url("contact-surveys-snooze", jane.pk), {"lift": "1"})
    jane.refresh_from_db()
    assert jane.surveys_snoozed_until is None
    assert "Snooze surveys 90 days" in client.get(url("account", jane.account_id)).content.decode()


def test_a_snoozed_contact_is_skipped_by_the_sweep(client: Client, jane: Contact, carol: Member, nps: Survey) -> None:
    login(client, carol)
    client.post(url("contact-surveys-snooze", jane.pk))
    result = services.surveys_sweep()
    assert (result.planned, result.queued, result.skipped) == (1, 0, 1)
    assert Invitation.objects.get().skip_reason == "snoozed"


def test_the_account_page_says_who_unsubscribed(client: Client, jane: Contact, vic: Member) -> None:
    services.contact_unsubscribe(contact=jane)
    login(client, vic)
    page = client.get(url("account", jane.account_id)).content.decode()
    assert "Unsubscribed" in page
    assert "Snooze surveys 90 days" not in page  # a viewer has no snooze button


@pytest.mark.parametrize("who", ["vic", "dave"])
def test_snoozing_requires_rw_access_to_the_account(
    client: Client, jane: Contact, who: str, request: pytest.FixtureRequest
) -> None:
    login(client, request.getfixturevalue(who))
    assert client.post(url("contact-surveys-snooze", jane.pk)).status_code == 403
    jane.refresh_from_db()
    assert jane.surveys_snoozed_until is None


def test_snoozing_is_a_post(client: Client, jane: Contact, carol: Member) -> None:
    login(client, carol)
    assert client.get(url("contact-surveys-snooze", jane.pk)).status_code == 405


def test_a_manager_sends_a_test_of_the_invitation_to_themselves_through_the_outbox(
    client: Client, smtp: Inbox, nps: Survey, mark: Member, carol: Member, vic: Member, olga: Member
) -> None:
    for member, status in ((carol, 403), (vic, 403), (olga, 404)):
        login(client, member)
        assert client.post(url("survey-test-send", nps.pk)).status_code == status
        client.logout()
    assert not OutboundMessage.objects.exists()

    login(client, mark)
    page = client.get(url("survey", nps.pk)).content.decode()
    assert f'action="{url("survey-test-send", nps.pk)}"' in page and "Send a test to me" in page
    response = client.post(url("survey-test-send", nps.pk), follow=True)
    assert "on its way to mark@acme.example" in response.content.decode()
    client.post(url("survey-test-send", nps.pk))  # a double click within the minute queues one message
    [message] = OutboundMessage.objects.all()
    assert (message.to, message.member, message.status) == ("mark@acme.example", mark, "queued")
    assert client.get(url("messages")).content.decode().count("[Test] Acme CS: How likely") == 1

    assert messaging_services.deliveries_send_due() == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["mark@acme.example"]
    assert mail["Subject"] == "[Test] Acme CS: How likely are you to recommend Acme CS to a friend or colleague?"
    assert mail["List-Unsubscribe"] is None  # a notice to one of our own members
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
    survey_page = f"https://cs.example.com{url('survey', nps.pk)}"
    assert "Hello Mark," in text and survey_page in text and f"{survey_page}?score=10" in html
    assert "nothing is recorded" in text
    assert not Invitation.objects.exists()


def test_an_invitation_the_mail_server_refuses_is_on_the_messages_page_as_retrying(
    client: Client, smtp: Inbox, nps: Survey, jane: Contact, mark: Member, olga: Member
) -> None:
    smtp.refused.add(jane.email)
    services.surveys_sweep()
    assert messaging_services.deliveries_send_due() == 0
    page = login(client, mark).get(url("messages")).content.decode()
    assert "Acme CS: How likely are you to recommend" in page and "Retrying" in page and "550" in page
    assert Invitation.objects.get().status == "queued"
    client.logout()
    assert login(client, olga).get(url("messages")).status_code == 404


def test_a_relationship_survey_s_first_ask_delay_is_set_on_its_form(
    client: Client, nps: Survey, mark: Member, olga: Member
) -> None:
    login(client, mark)
    page = client.get(url("survey-edit", nps.pk))
    assert page.context["form"]["first_ask_after_days"].value() == 90
    assert 'x-show="needsFirstAsk"' in page.content.decode()
    recurring = {"schedule_kind": "recurring", "schedule_days": "182", "name": nps.name}
    client.post(url("survey-edit", nps.pk), definition(first_ask_after_days="120", **recurring))
    nps.refresh_from_db()
    assert nps.first_ask_after_days == 120
    # Left empty, the survey keeps what it had.
    client.post(url("survey-edit", nps.pk), definition(**recurring))
    nps.refresh_from_db()
    assert nps.first_ask_after_days == 120
    refused = client.post(url("survey-edit", nps.pk), definition(first_ask_after_days="-1", **recurring))
    assert "first_ask_after_days" in refused.context["form"].errors
    login(client, olga)
    assert client.post(url("survey-edit", nps.pk), definition(first_ask_after_days="5", **recurring)).status_code == 404
