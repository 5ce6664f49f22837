"""End to end over real SMTP: the sweep sends the invitation to a local server, the link answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from retain.accounts.models import Contact
from retain.messaging.tests.receivers import Inbox
from retain.surveys import services
from retain.surveys.models import Response, Survey

pytestmark = pytest.mark.urls("retain.surveys.tests.urls")


def test_an_invitation_arrives_over_smtp_and_its_link_records_the_answer(
    smtp: Inbox, nps: Survey, jane: Contact, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert services.surveys_sweep().sent == 1
    [(recipients, message)] = smtp.messages
    assert recipients == ["jane@globex.example"]
    assert message["To"] == "jane@globex.example"
    assert message["Subject"] == "Acme CS: How likely are you to recommend Acme CS to a friend or colleague?"
    unsubscribe = str(message["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://cs.example.com/s/") and unsubscribe.endswith("/unsubscribe/>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    link = next(word for word in text.split() if word.startswith("https://cs.example.com/s/"))
    assert link.endswith("/") and not link.endswith("/unsubscribe/")
    assert f"{link}?score=10" in html and unsubscribe[1:-1] in html

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
