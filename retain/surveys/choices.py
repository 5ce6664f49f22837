from django.db import models


class SurveyKind(models.TextChoices):
    """NPS asks 0–10 how likely the contact is to recommend us; CSAT asks 1–5 how satisfied they are."""

    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"


class ScheduleKind(models.TextChoices):
    # N days before a subscription's term end, once per term.
    BEFORE_RENEWAL = "before_renewal", "Before renewal"
    # Every N days per contact (182 = twice a year): a relationship survey.
    RECURRING = "recurring", "Recurring"
    # When a timeline entry of a given kind is written for the account (e.g. a milestone reached).
    AFTER_EVENT = "after_event", "After an event"
    # Never sent by the sweep: answers arrive in the product, through the API or an import.
    MANUAL = "manual", "No schedule"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Due"
    # Its e-mail is in the messaging outbox, not yet taken by the mail server (or being retried).
    QUEUED = "queued", "Sending"
    # The mail server took the e-mail.
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Sending failed"


class SkipReason(models.TextChoices):
    FATIGUE = "fatigue", "Asked often enough recently"
    SNOOZED = "snoozed", "Contact snoozed"
    UNSUBSCRIBED = "unsubscribed", "Contact unsubscribed"
    # Bounced, complained or on the workspace's suppression list (messaging says which).
    SUPPRESSED = "suppressed", "Address suppressed"
    NO_EMAIL = "no_email", "Contact has no e-mail address"
    CONTACT_LEFT = "contact_left", "Contact left the company"
    SURVEY_INACTIVE = "survey_inactive", "Survey switched off"
    TOO_LATE = "too_late", "Too late to send"


class ResponseSource(models.TextChoices):
    EMAIL = "email", "E-mail link"
    API = "api", "API"
    IMPORT = "import", "Import"
    PRODUCT = "product", "In the product (NPS Submitted event)"
    WEB = "web", "Entered by a member"
    DEMO = "demo", "Demo"


class ResponseCategory(models.TextChoices):
    # NPS: promoters 9–10, passives 7–8, detractors 0–6.
    PROMOTER = "promoter", "Promoter"
    PASSIVE = "passive", "Passive"
    DETRACTOR = "detractor", "Detractor"
    # CSAT: satisfied 4–5, neutral 3, dissatisfied 1–2.
    SATISFIED = "satisfied", "Satisfied"
    NEUTRAL = "neutral", "Neutral"
    DISSATISFIED = "dissatisfied", "Dissatisfied"
