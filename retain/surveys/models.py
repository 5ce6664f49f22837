from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from retain.accounts.models import Account, Contact, Segment
from retain.messaging.models import OutboundMessage
from retain.surveys.choices import (
    InvitationStatus,
    ResponseCategory,
    ResponseSource,
    ScheduleKind,
    SkipReason,
    SurveyKind,
)
from retain.tenancy.models import Member, Workspace

DEFAULT_VALIDITY_DAYS = 30
DEFAULT_FATIGUE_LIMIT = 2
DEFAULT_FATIGUE_WINDOW_DAYS = 365
# Seed 004: whether a customer is bound shows in its first three months; a relationship survey asked
# before then measures the onboarding, not the relationship.
DEFAULT_FIRST_ASK_AFTER_DAYS = 90

SCALES = {SurveyKind.NPS: (0, 10), SurveyKind.CSAT: (1, 5)}
QUESTIONS = {
    SurveyKind.NPS: "How likely are you to recommend {vendor} to a friend or colleague?",
    SurveyKind.CSAT: "How satisfied are you with {vendor}?",
}


class Survey(models.Model):
    """An NPS or CSAT survey of a workspace: who is asked (audience), when (schedule), and how often at most.

    The audience is the active contacts with an e-mail address of the accounts in `segment` (all
    accounts when empty) whose role is one of `roles` (any role when empty). Fatigue: a contact who
    has been sent `fatigue_limit` invitations of any survey in the workspace within the last
    `fatigue_window_days` is not sent another one by this survey.

    A recurring survey is the relationship survey: it asks only accounts that pay us and became a
    customer at least `first_ask_after_days` ago (their customer-since date, else their first
    subscription's start). Other schedules ask whom their occasion names (a renewal, a milestone).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    question = models.CharField(max_length=300)
    ask_why = models.BooleanField(default=True, help_text="Offer a comment box under the score.")
    segment = models.ForeignKey(Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    roles = models.JSONField(default=list, blank=True)
    schedule_kind = models.CharField(max_length=16, choices=ScheduleKind.choices)
    # Days before the term end (before_renewal) or between asks (recurring).
    schedule_days = models.PositiveIntegerField(null=True, blank=True)
    # The timeline entry kind that starts a send (after_event); may name a kind no app writes yet.
    trigger_kind = models.CharField(max_length=40, blank=True)
    validity_days = models.PositiveIntegerField(default=DEFAULT_VALIDITY_DAYS, validators=[MinValueValidator(1)])
    fatigue_limit = models.PositiveIntegerField(default=DEFAULT_FATIGUE_LIMIT, validators=[MinValueValidator(1)])
    fatigue_window_days = models.PositiveIntegerField(
        default=DEFAULT_FATIGUE_WINDOW_DAYS, validators=[MinValueValidator(1)]
    )
    first_ask_after_days = models.PositiveIntegerField(default=DEFAULT_FIRST_ASK_AFTER_DAYS)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="survey_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[SurveyKind(self.kind)]


class Invitation(models.Model):
    """One ask of one contact for one occurrence of a survey's schedule, and its answer link.

    `occurrence` names the schedule's occasion ("renewal:2026-09-30", "every:3", "event:812"); the
    unique (survey, contact, occurrence) makes planning idempotent, and the sweep claims a due row
    by moving it out of `pending` with a compare-and-set update, so overlapping sweeps send once.
    Only the SHA-256 of the answer link's token is stored on the invitation (the e-mail holding
    the link waits in the messaging outbox until the mail server takes it).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_invitations")
    occurrence = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    due_at = models.DateTimeField()
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # The invitation's e-mail in the outbox: its delivery decides when the invitation is sent.
    message = models.ForeignKey(OutboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact", "occurrence"], name="invitation_unique_occurrence")
        ]
        indexes = [
            # The sweep's claim query: due rows only, so the index stays small.
            models.Index(fields=["due_at"], condition=Q(status=InvitationStatus.PENDING), name="invitation_due"),
            models.Index(fields=["contact", "sent_at"]),
        ]
        ordering = ["-due_at", "-id"]

    def __str__(self) -> str:
        return f"{self.survey} to {self.contact} ({self.occurrence})"


class Response(models.Model):
    """One answer of a contact to a survey: the score, the optional why, and its category.

    At most one per invitation (a changed answer updates it); answers from the product, the API or
    an import may have no invitation. `source_key` makes a resent answer (the same event or import
    row) a no-op.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="survey_responses")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_responses")
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    category = models.CharField(max_length=12, choices=ResponseCategory.choices)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    source_key = models.CharField(max_length=200, null=True, blank=True)
    changes = models.PositiveIntegerField(default=0, help_text="How often the contact changed the answer.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "source_key"], name="response_unique_source_key"),
        ]
        indexes = [
            models.Index(fields=["survey", "answered_at"]),
            models.Index(fields=["workspace", "answered_at"]),
            models.Index(fields=["account", "answered_at"]),
        ]
        ordering = ["-answered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact}: {self.score} on {self.survey}"
