"""End to end over real SMTP: the sweep queues the invitation in the outbox, the outbox sends it to a
local server, only then is it sent, and the link answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.messaging import services as messaging_services
from retain.messaging.tests.receivers import Inbox
from retain.surveys import services
from retain.surveys.models import Invitation, Response, Survey
from retain.tenancy.models import Workspace

pytestmark = pytest.mark.urls("retain.surveys.tests.urls")


def test_an_invitation_arrives_over_smtp_and_its_link_records_the_answer(
    smtp: Inbox, nps: Survey, jane: Contact, client: Client
) -> None:
    assert services.surveys_sweep().queued == 1
    assert smtp.messages == []
    assert Invitation.objects.get().status == "queued"
    assert messaging_services.deliveries_send_due() == 1
    [(recipients, message)] = smtp.messages
    assert recipients == ["jane@globex.example"]
    assert message["To"] == "jane@globex.example"
    assert message["Subject"] == "Acme CS: How likely are you to recommend Acme CS to a friend or colleague?"
    invitation = Invitation.objects.select_related("message").get()
    assert invitation.status == "sent" and invitation.message is not None
    assert message["Message-ID"] == invitation.message.message_id
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://cs.example.com/m/u/") and unsubscribe.endswith("/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
    link = next(word for word in text.split() if word.startswith("https://cs.example.com/s/"))
    assert link.endswith("/") and not link.endswith("/unsubscribe/")
    assert f"{link}?score=10" in html and unsubscribe[1:-1] in html and unsubscribe[1:-1] in text

    path = link.removeprefix("https://cs.example.com")
    assert client.get(path).status_code == 200
    assert client.post(path, {"score": "10", "comment": "Love the reports"}).status_code == 302
    answer = Response.objects.get()
    assert (answer.contact, answer.score, answer.category) == (jane, 10, "promoter")

    # The header's one-click unsubscribe works as a mail program sends it.
    assert (
        Client(enforce_csrf_checks=True).post(unsubscribe[1:-1].removeprefix("https://cs.example.com")).status_code
        == 200
    )
    jane.refresh_from_db()
    assert jane.email_unsubscribed_at is not None


def test_a_question_with_a_line_break_is_sent_with_a_one_line_subject(
    smtp: Inbox, workspace: Workspace, jane: Contact
) -> None:
    services.survey_create(
        workspace=workspace, actor=None, name="Two lines", kind="csat", schedule_kind="recurring", schedule_days=90,
        question="How satisfied are you\nwith onboarding?",
    )  # fmt: skip
    services.surveys_sweep()
    assert messaging_services.deliveries_send_due() == 1
    [(_, message)] = smtp.messages
    assert message["Subject"] == "Acme CS: How satisfied are you with onboarding?"
    assert "How satisfied are you\r\nwith onboarding?" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]  # the message has that part: it is built with both
    assert Invitation.objects.get().status == "sent"


def test_a_refused_mail_is_not_sent_is_retried_and_does_not_stop_the_others(
    smtp: Inbox, nps: Survey, jane: Contact, account: Account
) -> None:
    account_services.contact_create(account=account, actor=None, via="test", email="sam@globex.example")
    smtp.refused.add("jane@globex.example")
    assert services.surveys_sweep().queued == 2
    assert messaging_services.deliveries_send_due() == 1
    assert [recipients for recipients, _ in smtp.messages] == [["sam@globex.example"]]
    refused = Invitation.objects.select_related("message").get(contact=jane)
    # Not sent: the timeline does not say so, the Messages page shows the error and the next attempt.
    assert refused.status == "queued" and refused.sent_at is None
    assert refused.message is not None and refused.message.status == "retrying"
    assert "550" in refused.message.last_error and refused.message.next_attempt_at is not None
    sent_entries = TimelineEntry.objects.filter(kind=EntryKind.SURVEY_SENT)
    assert [entry.contact_id for entry in sent_entries] == [Invitation.objects.get(status="sent").contact_id]

    # Retried with backoff until it gives up: then the invitation is failed, with the server's words.
    later = timezone.now()
    for _ in range(messaging_services.MAX_ATTEMPTS - 1):
        later += dt.timedelta(hours=13)
        messaging_services.deliveries_send_due(now=later)
    refused.refresh_from_db()
    assert refused.status == "failed" and "550" in refused.error
    message = refused.message
    message.refresh_from_db()
    assert message.status == "failed"

    # Retried by hand once the address works: sent after all, and only now on the timeline.
    smtp.refused.clear()
    messaging_services.message_retry(message=message)
    assert messaging_services.deliveries_send_due() == 1
    refused.refresh_from_db()
    assert refused.status == "sent"
    assert sent_entries.filter(contact=jane).count() == 1


def test_an_invitation_that_cannot_be_queued_fails_alone(
    nps: Survey, jane: Contact, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    sam = account_services.contact_create(account=account, actor=None, via="test", email="sam@globex.example")
    real = services.mail.invitation_email

    def compose(invitation: Invitation, raw_token: str) -> services.mail.Composed:
        if invitation.contact_id == jane.pk:
            raise ValueError("cannot compose this one")
        return real(invitation, raw_token)

    monkeypatch.setattr(services.mail, "invitation_email", compose)
    result = services.surveys_sweep()
    assert (result.queued, result.failed) == (1, 1)
    failed = Invitation.objects.get(contact=jane)
    assert failed.status == "failed" and "cannot compose this one" in failed.error and failed.token_hash is None
    assert Invitation.objects.get(contact=sam).status == "queued"
