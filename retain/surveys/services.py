"""Writes for surveys: definitions, the sending sweep, answers from every way in, unsubscribes.

Every answer, whether it comes from the e-mail link, the API, a CSV import or an `NPS Submitted`
product event, goes through `response_record`, which writes it on the contact and on the account
timeline in one transaction.

Fatigue rule: a contact is sent at most `survey.fatigue_limit` invitations (default 2) of any
survey of the workspace within `survey.fatigue_window_days` (default 365), counting the ones
actually sent. Never while the contact is snoozed (`surveys_snoozed_until` is today or later) or
has unsubscribed from e-mail. The rule is checked when an invitation is sent, not when it is
planned, so a snooze or an unsubscribe is honoured at once; an invitation that fails it is kept
as skipped with the reason, and its occasion is not retried.

Sending: the sweep puts the invitation's e-mail in the messaging outbox (at least once, retried
with backoff, a stable Message-ID, visible on the Messages page) and the invitation is `queued`.
It becomes `sent`, with its timeline entry, only when the mail server took the e-mail
(`invitation_delivered`, which messaging calls); `failed` when the outbox gives up.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import ContactRole, ContactStatus, SubscriptionStatus
from retain.accounts.models import Contact, Subscription, TimelineEntry
from retain.lib.columns import check_columns
from retain.lib.dates import local_day
from retain.lib.tokens import new_token
from retain.messaging import services as messaging_services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.surveys import mail
from retain.surveys.choices import (
    InvitationStatus,
    ResponseCategory,
    ResponseSource,
    ScheduleKind,
    SkipReason,
    SurveyKind,
)
from retain.surveys.models import QUESTIONS, Invitation, Response, Survey
from retain.surveys.selectors import audience_contacts
from retain.tenancy.models import Member, Workspace
from retain.usage.events import Event
from retain.usage.models import UsageUser

log = logging.getLogger(__name__)

SURVEY_FIELDS = {
    "name", "kind", "question", "ask_why", "segment", "roles", "schedule_kind", "schedule_days", "trigger_kind",
    "validity_days", "fatigue_limit", "fatigue_window_days", "first_ask_after_days", "is_active",
}  # fmt: skip
TRIGGER_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# An invitation that could not go out within this long of its occasion is skipped, not sent late.
MAX_LATENESS = dt.timedelta(days=2)
# after_event: timeline entries older than this (or older than the survey) start nothing.
EVENT_LOOKBACK = dt.timedelta(days=7)
SWEEP_BATCH = 500
# The `source` of a survey's outbound e-mails starts with this; messaging reports their delivery.
MESSAGE_SOURCE = "survey"
MAX_COMMENT = 5000
CLOCK_SKEW = dt.timedelta(minutes=5)
NPS_EVENT = "NPS Submitted"
IN_APP_SURVEY = "In-app NPS"


# Definitions -------------------------------------------------------------------------------------


def _clean_survey(survey: Survey) -> None:
    errors: dict[str, str] = {}
    if survey.segment_id is not None and (survey.segment is None or survey.segment.workspace_id != survey.workspace_id):
        errors["segment"] = "no such segment in this workspace"
    if not isinstance(survey.roles, list) or not all(role in ContactRole.values for role in survey.roles):
        errors["roles"] = f"must be a list of contact roles ({', '.join(ContactRole.values)})"
    if survey.schedule_kind in (ScheduleKind.BEFORE_RENEWAL, ScheduleKind.RECURRING) and not survey.schedule_days:
        errors["schedule_days"] = "is required (a number of days, at least 1) for this schedule"
    if survey.schedule_kind == ScheduleKind.AFTER_EVENT and not TRIGGER_KIND.match(survey.trigger_kind or ""):
        errors["trigger_kind"] = (
            "is required for an after-event schedule: a timeline entry kind such as milestone_reached"
        )
    if errors:
        raise ValidationError(errors)
    check_columns(survey)
    survey.full_clean(exclude=["workspace", "segment", "roles", "created_by"], validate_constraints=False)
    clash = Survey.objects.filter(workspace_id=survey.workspace_id, name=survey.name).exclude(pk=survey.pk)
    if clash.exists():
        raise ValidationError({"name": f"{survey.name!r} is already the name of another survey"})


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - SURVEY_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field that can be set here"})


@transaction.atomic
def survey_create(
    *, workspace: Workspace, actor: Member | None, name: str, kind: str, schedule_kind: str, **fields: Any
) -> Survey:
    _check_fields(fields)
    survey = Survey(workspace=workspace, created_by=actor, name=name, kind=kind, schedule_kind=schedule_kind, **fields)
    if not survey.question and kind in SurveyKind.values:
        survey.question = QUESTIONS[SurveyKind(kind)].format(vendor=workspace.name)
    _clean_survey(survey)
    survey.save()
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, **fields: Any) -> Survey:
    _check_fields(fields)
    if "kind" in fields and fields["kind"] != survey.kind and survey.responses.exists():
        raise ValidationError({"kind": "cannot change once the survey has answers"})
    for name, value in fields.items():
        setattr(survey, name, value)
    _clean_survey(survey)
    survey.save()
    return survey


# Planning and sending ----------------------------------------------------------------------------


def _occasions(survey: Survey, contacts: QuerySet[Contact], now: dt.datetime) -> Iterable[tuple[int, int, str]]:
    """(contact id, account id, occurrence) for every ask the schedule says is due now."""
    today = local_day(now, survey.workspace.time_zone)
    if survey.schedule_kind == ScheduleKind.BEFORE_RENEWAL:
        days = dt.timedelta(days=survey.schedule_days or 0)
        renewing: dict[int, set[dt.date]] = {}
        terms = Subscription.objects.filter(
            workspace_id=survey.workspace_id,
            status=SubscriptionStatus.ACTIVE,
            term_end__gt=today,
            term_end__lte=today + days,
            account_id__in=contacts.values("account_id"),
        ).values_list("account_id", "term_end")
        for account_id, term_end in terms:
            renewing.setdefault(account_id, set()).add(term_end)
        for contact_id, account_id in contacts.filter(account_id__in=renewing).values_list("id", "account_id"):
            # Once per term: subscriptions of one account ending the same day are one occasion.
            for term_end in renewing[account_id]:
                yield contact_id, account_id, f"renewal:{term_end.isoformat()}"
    elif survey.schedule_kind == ScheduleKind.RECURRING:
        started = local_day(survey.created_at, survey.workspace.time_zone)
        period = max((today - started).days, 0) // (survey.schedule_days or 1)
        for contact_id, account_id in contacts.values_list("id", "account_id"):
            yield contact_id, account_id, f"every:{period}"
    elif survey.schedule_kind == ScheduleKind.AFTER_EVENT:
        since = max(survey.created_at, now - EVENT_LOOKBACK)
        entries: dict[int, list[int]] = {}
        for entry_id, account_id in TimelineEntry.objects.filter(
            workspace_id=survey.workspace_id, kind=survey.trigger_kind, occurred_at__gte=since
        ).values_list("id", "account_id"):
            entries.setdefault(account_id, []).append(entry_id)
        if entries:
            for contact_id, account_id in contacts.filter(account_id__in=entries).values_list("id", "account_id"):
                for entry_id in entries[account_id]:
                    yield contact_id, account_id, f"event:{entry_id}"


def invitations_plan(*, survey: Survey, now: dt.datetime | None = None) -> int:
    """Write a pending invitation for every ask the schedule makes due now; returns how many are new.

    Idempotent: an occasion that already has its invitation (in any status) is left alone, and the
    unique (survey, contact, occurrence) turns a concurrent planner's insert into a no-op.
    """
    now = now or timezone.now()
    if not survey.is_active or survey.schedule_kind == ScheduleKind.MANUAL:
        return 0
    today = local_day(now, survey.workspace.time_zone)
    wanted = list(_occasions(survey, audience_contacts(survey, today=today), now))
    if not wanted:
        return 0
    existing = set(
        Invitation.objects.filter(survey=survey, occurrence__in={occ for _, _, occ in wanted}).values_list(
            "contact_id", "occurrence"
        )
    )
    fresh = [
        Invitation(
            workspace_id=survey.workspace_id,
            survey=survey,
            contact_id=contact_id,
            account_id=account_id,
            occurrence=occurrence,
            due_at=now,
        )
        for contact_id, account_id, occurrence in wanted
        if (contact_id, occurrence) not in existing
    ]
    Invitation.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _skip_reason(invitation: Invitation, contact: Contact, now: dt.datetime) -> str | None:
    survey = invitation.survey
    if not survey.is_active:
        return SkipReason.SURVEY_INACTIVE
    if now - invitation.due_at > MAX_LATENESS:
        return SkipReason.TOO_LATE
    if contact.status != ContactStatus.ACTIVE:
        return SkipReason.CONTACT_LEFT
    if not contact.email:
        return SkipReason.NO_EMAIL
    if contact.email_unsubscribed_at is not None:
        return SkipReason.UNSUBSCRIBED
    if messaging_services.suppression_reason(contact):
        return SkipReason.SUPPRESSED
    today = local_day(now, survey.workspace.time_zone)
    if contact.surveys_snoozed_until is not None and contact.surveys_snoozed_until >= today:
        return SkipReason.SNOOZED
    # An invitation still in the outbox counts: it is on its way.
    recent = (
        Invitation.objects.filter(
            Q(status=InvitationStatus.SENT, sent_at__gt=now - dt.timedelta(days=survey.fatigue_window_days))
            | Q(status=InvitationStatus.QUEUED),
            contact=contact,
        )
        .exclude(pk=invitation.pk)
        .count()
    )
    if recent >= survey.fatigue_limit:
        return SkipReason.FATIGUE
    return None


def invitation_send(*, invitation_id: int, now: dt.datetime | None = None) -> str | None:
    """Queue one due invitation's e-mail in the outbox, or skip it with a reason; None when another
    sweep has claimed it. The outbox sends after commit, so no one gets a link to a row that rolled back.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The claim: only one sweep moves the row out of pending (on PostgreSQL a second one
        # waits for the first's commit, then matches nothing).
        if not Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.QUEUED
        ):
            return None
        invitation = Invitation.objects.select_related("survey__workspace").get(pk=invitation_id)
        # One contact's sends are serialised so two sweeps cannot both pass the fatigue check.
        contact = Contact.objects.select_for_update().select_related("account").get(pk=invitation.contact_id)
        invitation.contact = contact
        reason = _skip_reason(invitation, contact, now)
        if reason is not None:
            Invitation.objects.filter(pk=invitation_id).update(status=InvitationStatus.SKIPPED, skip_reason=reason)
            return InvitationStatus.SKIPPED
        raw, hashed = new_token()
        invitation.token_hash = hashed
        invitation.expires_at = now + dt.timedelta(days=invitation.survey.validity_days)
        composed = mail.invitation_email(invitation, raw)
        invitation.message = messaging_services.email_enqueue(
            account=contact.account,
            contact=contact,
            subject=composed.subject,
            body=composed.text,
            html_body=composed.html,
            idempotency_key=f"survey-invitation:{invitation.pk}",
            source=f"{MESSAGE_SOURCE}:{invitation.survey_id}/invitation:{invitation.pk}",
        )
        invitation.save(update_fields=["token_hash", "expires_at", "message"])
    return InvitationStatus.QUEUED


def invitation_delivered(message: OutboundMessage, status: str, at: dt.datetime) -> None:
    """Messaging's report on an invitation's e-mail: sent (the mail server took it, and only now does
    the timeline say so), failed for good, or suppressed at send time (an unsubscribe meanwhile)."""
    invitation = Invitation.objects.select_related("survey", "contact__account").filter(message=message).first()
    if invitation is None:
        return
    waiting = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.QUEUED)
    if status == DeliveryStatus.SENT:
        # A message retried by hand after it failed is sent after all.
        Invitation.objects.filter(
            pk=invitation.pk, status__in=(InvitationStatus.QUEUED, InvitationStatus.FAILED)
        ).update(status=InvitationStatus.SENT, sent_at=at, error="")
        entry = timeline.survey_sent_entry(
            invitation.contact,
            survey_name=invitation.survey.name,
            survey_id=invitation.survey_id,
            invitation_id=invitation.pk,
            occurred_at=at,
        )
        if not TimelineEntry.objects.filter(workspace_id=invitation.workspace_id, dedupe_key=entry.dedupe_key).exists():
            entry.save()
    elif status == DeliveryStatus.FAILED:
        waiting.update(status=InvitationStatus.FAILED, error=message.last_error[:300])
    elif status == DeliveryStatus.SUPPRESSED:
        waiting.update(status=InvitationStatus.SKIPPED, skip_reason=SkipReason.SUPPRESSED)


@dataclass(frozen=True)
class SweepResult:
    planned: int
    queued: int
    skipped: int
    failed: int = 0


def surveys_sweep(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """The minutely job: plan what every active survey makes due, then queue (or skip) due invitations."""
    now = now or timezone.now()
    planned = queued = skipped = failed = 0
    surveys = Survey.objects.filter(is_active=True).exclude(schedule_kind=ScheduleKind.MANUAL)
    for survey in surveys.select_related("workspace", "segment__workspace"):
        planned += invitations_plan(survey=survey, now=now)
    due = Invitation.objects.filter(status=InvitationStatus.PENDING, due_at__lte=now).order_by("due_at", "id")
    for invitation_id in list(due.values_list("pk", flat=True)[:batch]):
        try:
            outcome = invitation_send(invitation_id=invitation_id, now=now)
        except Exception as exc:
            # One invitation that cannot be composed or queued must not stop the rest of the
            # sweep; its transaction rolled back, and its row says why.
            log.exception("survey invitation %s could not be queued", invitation_id)
            Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING).update(
                status=InvitationStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:300]
            )
            failed += 1
            continue
        queued += outcome == InvitationStatus.QUEUED
        skipped += outcome == InvitationStatus.SKIPPED
    return SweepResult(planned=planned, queued=queued, skipped=skipped, failed=failed)


def survey_test_send(*, survey: Survey, actor: Member, now: dt.datetime | None = None) -> OutboundMessage:
    """E-mail the member what a contact would get for this survey (the links open the survey's page).

    Through the outbox like any e-mail; clicks within the same minute queue one message.
    """
    now = now or timezone.now()
    if actor.workspace_id != survey.workspace_id:
        raise ValidationError({"survey": "no such survey in this workspace"})
    composed = mail.sample_email(survey, first_name=actor.user.first_name, email=actor.user.email, now=now)
    return messaging_services.member_email_enqueue(
        workspace=survey.workspace,
        member=actor,
        subject=composed.subject,
        body=composed.text,
        html_body=composed.html,
        idempotency_key=f"survey-test:{survey.pk}:member:{actor.pk}:{now:%Y%m%dT%H%M}",
        source=f"survey-test:{survey.pk}",
    )


def invitation_revoke(*, invitation: Invitation, now: dt.datetime | None = None) -> None:
    """Its link answers 404 from now on; an answer already given stays."""
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])


# Answers -----------------------------------------------------------------------------------------


def category_for(kind: str, score: int) -> str:
    if kind == SurveyKind.NPS:
        if score >= 9:
            return ResponseCategory.PROMOTER
        return ResponseCategory.PASSIVE if score >= 7 else ResponseCategory.DETRACTOR
    if score >= 4:
        return ResponseCategory.SATISFIED
    return ResponseCategory.NEUTRAL if score == 3 else ResponseCategory.DISSATISFIED


def is_unhappy(kind: str, score: int) -> bool:
    """A detractor (NPS 0–6) or a CSAT of 2 or less: what the playbooks trigger on."""
    return score <= 6 if kind == SurveyKind.NPS else score <= 2


def _clean_answer(
    survey: Survey, contact: Contact, score: Any, comment: str, answered_at: dt.datetime, source: str
) -> None:
    low, high = survey.scale
    if contact.workspace_id != survey.workspace_id:
        raise ValidationError({"contact": "no such contact in this workspace"})
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise ValidationError({"score": f"must be a whole number from {low} to {high}"})
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"is longer than {MAX_COMMENT} characters"})
    if answered_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError({"answered_at": "is in the future"})
    if source not in ResponseSource.values:
        raise ValidationError({"source": f"must be one of {', '.join(ResponseSource.values)}"})


def _write_answer_facts(
    response: Response, *, changed_from: int | None, was_unhappy: bool, actor: Member | None, via: str
) -> None:
    survey, contact = response.survey, response.contact
    timeline.survey_answered_entry(
        contact,
        survey_name=survey.name,
        survey_id=survey.pk,
        response_id=response.pk,
        score=response.score,
        scale_max=survey.scale[1],
        category=ResponseCategory(response.category).label.lower(),
        comment=response.comment,
        changed_from=changed_from,
        actor=actor,
        via=via,
        occurred_at=response.answered_at,
    ).save()
    if is_unhappy(survey.kind, response.score) and not was_unhappy:
        factory = timeline.detractor_answered_entry if survey.kind == SurveyKind.NPS else timeline.low_csat_entry
        entry = factory(
            contact,
            survey_name=survey.name,
            survey_id=survey.pk,
            response_id=response.pk,
            score=response.score,
            comment=response.comment,
            via=via,
            occurred_at=response.answered_at,
        )
        # Once per response: turning 3 into 9 and back into 2 does not start a second playbook.
        if not TimelineEntry.objects.filter(workspace_id=response.workspace_id, dedupe_key=entry.dedupe_key).exists():
            entry.save()
    if survey.kind == SurveyKind.NPS and (
        contact.nps_answered_at is None or response.answered_at >= contact.nps_answered_at
    ):
        contact.nps_score, contact.nps_category = response.score, response.category
        contact.nps_answered_at = response.answered_at
        Contact.objects.filter(pk=contact.pk).update(
            nps_score=response.score, nps_category=response.category, nps_answered_at=response.answered_at
        )


@transaction.atomic
def response_record(
    *,
    survey: Survey,
    contact: Contact,
    score: Any,
    comment: str = "",
    answered_at: dt.datetime | None = None,
    source: str,
    actor: Member | None = None,
    invitation: Invitation | None = None,
    source_key: str | None = None,
) -> Response:
    """Record an answer; the one function the e-mail link, API, import and product events share.

    With an invitation that already has an answer, the answer is changed (the timeline says from
    what). With a `source_key` that was recorded before (a resent event, a re-imported row), the
    earlier answer is returned and nothing is written.
    """
    answered_at = answered_at or timezone.now()
    comment = (comment or "").strip()
    _clean_answer(survey, contact, score, comment, answered_at, source)
    if invitation is not None and (invitation.survey_id != survey.pk or invitation.contact_id != contact.pk):
        raise ValidationError({"invitation": "belongs to another survey or contact"})
    if source_key is not None:
        earlier = Response.objects.filter(workspace_id=survey.workspace_id, source_key=source_key).first()
        if earlier is not None:
            return earlier
    via = source
    category = category_for(survey.kind, score)
    existing = Response.objects.filter(invitation=invitation).first() if invitation is not None else None
    if existing is not None:
        changed_from = existing.score
        was_unhappy = is_unhappy(survey.kind, existing.score)
        existing.score, existing.category, existing.comment = score, category, comment
        existing.answered_at, existing.changes = answered_at, existing.changes + 1
        existing.save(update_fields=["score", "category", "comment", "answered_at", "changes", "updated_at"])
        existing.survey, existing.contact = survey, contact
        _write_answer_facts(existing, changed_from=changed_from, was_unhappy=was_unhappy, actor=actor, via=via)
        return existing
    response = Response(
        workspace_id=survey.workspace_id,
        survey=survey,
        invitation=invitation,
        account_id=contact.account_id,
        contact=contact,
        score=score,
        category=category,
        comment=comment,
        answered_at=answered_at,
        source=source,
        source_key=source_key,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        # A concurrent request recorded the same event or invitation first.
        earlier = Response.objects.filter(workspace_id=survey.workspace_id, source_key=source_key).first()
        if source_key is None or earlier is None:
            raise
        return earlier
    _write_answer_facts(response, changed_from=None, was_unhappy=False, actor=actor, via=via)
    return response


# Contacts ----------------------------------------------------------------------------------------


@transaction.atomic
def contact_unsubscribe(*, contact: Contact, via: str = "email", now: dt.datetime | None = None) -> bool:
    """No more e-mail to this contact from now on; False when they had already unsubscribed."""
    return messaging_services.contact_unsubscribe(contact=contact, via=via, now=now)


def contact_surveys_snooze(*, contact: Contact, until: dt.date | None) -> None:
    """Do not survey this contact up to and including `until` (None lifts the snooze)."""
    contact.surveys_snoozed_until = until
    Contact.objects.filter(pk=contact.pk).update(surveys_snoozed_until=until)


# Answers arriving as product events --------------------------------------------------------------


def is_nps_answer(event: Event) -> bool:
    return event.type == "track" and event.name == NPS_EVENT


def _event_score(properties: dict[str, Any]) -> int | None:
    value = properties.get("score")
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 10:
        return value
    return None


def _event_contact(workspace: Workspace, event: Event) -> Contact | None:
    contacts = Contact.objects.filter(workspace=workspace).select_related("account")
    if event.user_id:
        user = UsageUser.objects.filter(workspace=workspace, user_id=event.user_id).only("contact_id").first()
        if user is not None and user.contact_id is not None:
            return contacts.filter(pk=user.contact_id).first()
        by_id = contacts.filter(external_id=event.user_id).first()
        if by_id is not None:
            return by_id
    traits = event.context.get("traits") if isinstance(event.context.get("traits"), dict) else {}
    for email in (event.properties.get("email"), (traits or {}).get("email")):
        if isinstance(email, str) and email.strip():
            found = contacts.filter(email__iexact=email.strip()).first()
            if found is not None:
                return found
    return None


def _event_survey(workspace: Workspace, properties: dict[str, Any]) -> Survey:
    """The NPS survey an in-product answer belongs to: the one `properties.survey` names (id or name),
    else the newest active NPS survey, else a workspace's "In-app NPS" survey made for the purpose."""
    surveys = Survey.objects.filter(workspace=workspace, kind=SurveyKind.NPS).select_related("workspace")
    named = properties.get("survey")
    if isinstance(named, int) and not isinstance(named, bool):
        found = surveys.filter(pk=named).first()
    elif isinstance(named, str) and named.strip():
        found = surveys.filter(name=named.strip()).first()
    else:
        found = None
    found = found or surveys.filter(is_active=True).order_by("-created_at", "-id").first()
    found = found or surveys.filter(name=IN_APP_SURVEY).first()
    return found or survey_create(
        workspace=workspace, actor=None, name=IN_APP_SURVEY, kind=SurveyKind.NPS, schedule_kind=ScheduleKind.MANUAL
    )


def responses_record_from_events(*, workspace: Workspace, events: Sequence[Event]) -> int:
    """Record `NPS Submitted` events just stored; returns how many answers were recorded.

    The caller passes only events it newly inserted. One whose score is not a whole number from 0
    to 10, or whose user resolves to no contact, stays a stored event and is logged; it never fails
    the batch.
    """
    recorded = 0
    for event in events:
        score = _event_score(event.properties)
        contact = _event_contact(workspace, event) if score is not None else None
        if score is None or contact is None:
            problem = "no whole-number score from 0 to 10" if score is None else "no contact matches its user"
            log.info("NPS Submitted event %s kept without an answer: %s", event.message_id, problem)
            continue
        comment = next(
            (event.properties[k] for k in ("comment", "reason", "why") if isinstance(event.properties.get(k), str)),
            "",
        )
        try:
            with transaction.atomic():
                response_record(
                    survey=_event_survey(workspace, event.properties),
                    contact=contact,
                    score=score,
                    comment=comment[:MAX_COMMENT],
                    answered_at=min(event.timestamp, timezone.now()),
                    source=ResponseSource.PRODUCT,
                    source_key=f"event:{event.message_id}",
                )
        except ValidationError as exc:
            log.info("NPS Submitted event %s kept without an answer: %s", event.message_id, exc.messages)
            continue
        recorded += 1
    return recorded
