"""Reads of surveys, invitations and answers, always scoped to one workspace (or one token).

The survey measures (NPS, its standard error, response rate, CSAT share) live in surveys/measures.py.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from retain.accounts.choices import ContactStatus
from retain.accounts.models import Contact
from retain.accounts.selectors import accounts_paying_since, segment_accounts
from retain.lib.tokens import hash_token
from retain.surveys.choices import InvitationStatus, ScheduleKind
from retain.surveys.models import Invitation, Response, Survey
from retain.tenancy.models import Workspace


def audience_contacts(survey: Survey, *, today: dt.date) -> QuerySet[Contact]:
    """Who the survey may ask: active contacts with an e-mail, in its segment, with one of its roles;
    for a recurring (relationship) survey, only of accounts that pay us and have been customers for
    `first_ask_after_days` (see Survey)."""
    contacts = Contact.objects.filter(workspace_id=survey.workspace_id, status=ContactStatus.ACTIVE).exclude(email="")
    if survey.roles:
        contacts = contacts.filter(role__in=survey.roles)
    if survey.segment is not None:
        accounts = segment_accounts(survey.segment).order_by().values("pk")
        contacts = contacts.filter(account_id__in=accounts)
    if survey.schedule_kind == ScheduleKind.RECURRING:
        since = today - dt.timedelta(days=survey.first_ask_after_days)
        established = accounts_paying_since(survey.workspace_id, today=today, since=since)
        contacts = contacts.filter(account_id__in=established.values("pk"))
    return contacts


def workspace_surveys(workspace: Workspace) -> QuerySet[Survey]:
    return Survey.objects.filter(workspace=workspace).select_related("segment").order_by("name", "id")


def workspace_responses(workspace: Workspace) -> QuerySet[Response]:
    return Response.objects.filter(workspace=workspace).order_by("-answered_at", "-id")


def invitation_for_token(raw: str, *, now: dt.datetime | None = None) -> Invitation | None:
    """The invitation an answer link opens: handed to the outbox or sent, neither revoked nor expired.

    A queued one is accepted too: the contact may click the link the moment the mail server took
    the e-mail, before the outbox has recorded it as sent. None means 404."""
    if not raw or len(raw) > 100:
        return None
    now = now or timezone.now()
    return (
        Invitation.objects.select_related("survey__workspace", "contact__account")
        .filter(
            token_hash=hash_token(raw),
            status__in=(InvitationStatus.QUEUED, InvitationStatus.SENT),
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .first()
    )


def invitation_response(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).first()
