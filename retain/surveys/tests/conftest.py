"""Survey fixtures: surveys of each schedule (Jane, Globex's champion, is in the shared conftest)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.utils import timezone

from retain.accounts.models import Contact
from retain.api.tests.conftest import client_for  # noqa: F401  (the API tests' token client)
from retain.messaging import services as messaging_services
from retain.messaging.tests.receivers import smtp  # noqa: F401  (a real local SMTP server)
from retain.surveys import services
from retain.surveys.models import Invitation, Survey
from retain.tenancy.models import Member, Workspace

SendTo = Callable[..., tuple[Invitation, str]]


@pytest.fixture
def nps(workspace: Workspace, mark: Member) -> Survey:
    """A relationship NPS survey, twice a year."""
    return services.survey_create(
        workspace=workspace,
        actor=mark,
        name="Relationship NPS",
        kind="nps",
        schedule_kind="recurring",
        schedule_days=182,
    )


@pytest.fixture
def csat(workspace: Workspace, mark: Member) -> Survey:
    return services.survey_create(
        workspace=workspace, actor=mark, name="Support CSAT", kind="csat", schedule_kind="manual"
    )


def answer_token(invitation: Invitation) -> str:
    """The raw token of the answer link in the invitation's e-mail (only its hash is on the row)."""
    assert invitation.message is not None
    match = re.search(r"/s/([^/\s?]+)/(?:\s|$)", invitation.message.body)
    assert match is not None, invitation.message.body
    return match.group(1)


@pytest.fixture
def send_to() -> SendTo:
    """send_to(survey, contact) → (an invitation sent through the outbox, the raw token its e-mail carries)."""

    def send(survey: Survey, contact: Contact, occurrence: str = "manual:1") -> tuple[Invitation, str]:
        invitation = Invitation.objects.create(
            workspace=survey.workspace,
            survey=survey,
            contact=contact,
            account=contact.account,
            occurrence=occurrence,
            due_at=timezone.now() - dt.timedelta(seconds=1),
        )
        assert services.invitation_send(invitation_id=invitation.pk) == "queued"
        messaging_services.deliveries_send_due()
        invitation.refresh_from_db()
        assert invitation.status == "sent"
        return invitation, answer_token(invitation)

    return send
