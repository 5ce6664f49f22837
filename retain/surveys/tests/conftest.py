"""Survey fixtures: surveys of each schedule (Jane, Globex's champion, is in the shared conftest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from retain.accounts.models import Contact
from retain.api.tests.conftest import client_for  # noqa: F401  (the API tests' token client)
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


@pytest.fixture
def send_to(monkeypatch: pytest.MonkeyPatch) -> SendTo:
    """send_to(survey, contact) → (a sent invitation, the raw token its e-mail carries)."""
    tokens: list[str] = []

    def capture(*, invitation: Invitation, raw_token: str) -> None:
        tokens.append(raw_token)

    monkeypatch.setattr("retain.surveys.mail.invitation_email_queue", capture)

    def send(survey: Survey, contact: Contact, occurrence: str = "manual:1") -> tuple[Invitation, str]:
        invitation = Invitation.objects.create(
            workspace=survey.workspace,
            survey=survey,
            contact=contact,
            account=contact.account,
            occurrence=occurrence,
            due_at=timezone.now() - dt.timedelta(seconds=1),
        )
        assert services.invitation_send(invitation_id=invitation.pk) == "sent"
        invitation.refresh_from_db()
        return invitation, tokens[-1]

    return send
