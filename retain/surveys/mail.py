"""Survey e-mails: composed from our own templates with a plain-text and an HTML part.

They go out through the messaging outbox like every other e-mail (at least once, retried with
backoff, a stable Message-ID, a row on the Messages page), which also adds the one-click
unsubscribe of RFC 8058 to the text part and the headers; the HTML part shows the same link.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from retain.messaging.transports import unsubscribe_url
from retain.surveys.choices import SurveyKind
from retain.surveys.models import Invitation, Survey


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def answer_url(raw_token: str) -> str:
    return absolute(reverse("survey-answer", args=[raw_token]))


def _compose(
    survey: Survey,
    *,
    first_name: str,
    email: str,
    link: str,
    expires_at: dt.datetime,
    unsubscribe: str,
    test: bool = False,
) -> Composed:
    low, high = survey.scale
    context: dict[str, Any] = {
        "first_name": first_name,
        "email": email,
        "question": survey.question,
        "ask_why": survey.ask_why,
        "vendor": survey.workspace.name,
        "answer_url": link,
        # Each score in the HTML part opens the page with that score chosen; only the page records it.
        "scores": [(score, f"{link}?score={score}") for score in range(low, high + 1)],
        "low_label": "Not at all likely" if survey.kind == SurveyKind.NPS else "Very dissatisfied",
        "high_label": "Extremely likely" if survey.kind == SurveyKind.NPS else "Very satisfied",
        "expires_at": expires_at,
        "unsubscribe_url": unsubscribe,
        "test": test,
    }
    return Composed(
        # A question may hold a line break; a header may not (the outbox folds whitespace too).
        subject=" ".join(f"{'[Test] ' if test else ''}{survey.workspace.name}: {survey.question}".split()),
        text=render_to_string("surveys/email/invitation.txt", context),
        html=render_to_string("surveys/email/invitation.html", context),
    )


def invitation_email(invitation: Invitation, raw_token: str) -> Composed:
    """The invitation's e-mail, with the contact's own answer link."""
    contact = invitation.contact
    assert invitation.expires_at is not None
    return _compose(
        invitation.survey,
        first_name=contact.first_name,
        email=contact.email,
        link=answer_url(raw_token),
        expires_at=invitation.expires_at,
        unsubscribe=unsubscribe_url(contact.pk),
    )


def sample_email(survey: Survey, *, first_name: str, email: str, now: dt.datetime) -> Composed:
    """What a contact would get, for a member to check: the score links open the survey's page in
    Retain (there is no invitation, so nothing can be recorded)."""
    return _compose(
        survey,
        first_name=first_name,
        email=email,
        link=absolute(reverse("survey", args=[survey.workspace.slug, survey.pk])),
        expires_at=now + dt.timedelta(days=survey.validity_days),
        unsubscribe="",
        test=True,
    )
