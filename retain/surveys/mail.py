"""Survey e-mails: composed from templates with a plain-text and an HTML part, sent after commit.

Each carries the contact's own answer link and a one-click unsubscribe (a link in the body and the
List-Unsubscribe / List-Unsubscribe-Post headers of RFC 8058, which mail programs show as a button).
"""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from retain.surveys.choices import SurveyKind
from retain.surveys.models import Invitation
from retain.surveys.tokens import unsubscribe_token

log = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def answer_url(raw_token: str) -> str:
    return absolute(reverse("survey-answer", args=[raw_token]))


def unsubscribe_url(contact_id: int) -> str:
    return absolute(reverse("survey-unsubscribe", args=[unsubscribe_token(contact_id)]))


def invitation_email(invitation: Invitation, raw_token: str) -> EmailMultiAlternatives:
    survey, contact = invitation.survey, invitation.contact
    low, high = survey.scale
    link = answer_url(raw_token)
    unsubscribe = unsubscribe_url(contact.pk)
    context: dict[str, Any] = {
        "contact": contact,
        "survey": survey,
        "vendor": survey.workspace.name,
        "answer_url": link,
        # Each score in the HTML part opens the page with that score chosen; only the page records it.
        "scores": [(score, f"{link}?score={score}") for score in range(low, high + 1)],
        "low_label": "Not at all likely" if survey.kind == SurveyKind.NPS else "Very dissatisfied",
        "high_label": "Extremely likely" if survey.kind == SurveyKind.NPS else "Very satisfied",
        "expires_at": invitation.expires_at,
        "unsubscribe_url": unsubscribe,
    }
    message = EmailMultiAlternatives(
        subject=f"{survey.workspace.name}: {survey.question}",
        body=render_to_string("surveys/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("surveys/email/invitation.html", context), "text/html")
    return message


def invitation_email_send(*, invitation_id: int, raw_token: str) -> bool:
    """Hand the invitation's e-mail to the mail server; a failure marks the invitation failed."""
    from retain.surveys.services import invitation_email_failed

    invitation = Invitation.objects.select_related("survey__workspace", "contact__account").get(pk=invitation_id)
    try:
        invitation_email(invitation, raw_token).send()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("survey invitation %s not sent: %s", invitation_id, exc)
        invitation_email_failed(invitation_id=invitation_id, error=str(exc) or type(exc).__name__)
        return False
    return True


def invitation_email_queue(*, invitation: Invitation, raw_token: str) -> None:
    """Send once the invitation's transaction commits: no e-mail about a row that rolled back."""
    transaction.on_commit(lambda: invitation_email_send(invitation_id=invitation.pk, raw_token=raw_token))
