from django.db import models


class Channel(models.TextChoices):
    """How a tier is engaged (seed 001): e-mail and webinars for the community, calls and reviews
    for enterprise, personal contact and executive outreach for strategic accounts."""

    EMAIL = "email", "E-mail"
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    SLACK = "slack", "Slack"
    WEBINAR = "webinar", "Webinar"


class SponsorRule(models.TextChoices):
    """Seed 001's "sponsor selection": whether a tier's accounts must name an executive sponsor."""

    REQUIRED = "required", "Required"
    RECOMMENDED = "recommended", "Recommended"
    NONE = "none", "Not needed"


class AssignmentVia(models.TextChoices):
    NEW_ACCOUNT = "new_account", "New account"
    BULK = "bulk", "Assignment run"
    BALANCING = "balancing", "Balancing"
    HAND_OVER = "hand_over", "Hand-over after onboarding"
    BY_HAND = "by_hand", "By hand"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPLIED = "applied", "Applied"
    DISCARDED = "discarded", "Discarded"


class CadenceStatus(models.TextChoices):
    """An account's last touch against the cadence its tier expects in its stage."""

    ON_TRACK = "on_track", "On track"
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue"
    NEVER = "never", "Never touched"
    DIGITAL = "digital", "Digital only"


class Influence(models.TextChoices):
    """A stakeholder's weight in the buying and renewal decision."""

    DECISION_MAKER = "decision_maker", "Decision maker"
    CHAMPION = "champion", "Champion"
    USER = "user", "User"
    BLOCKER = "blocker", "Blocker"


class Sentiment(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative"


class HandoffSource(models.TextChoices):
    WEB = "web", "Entered by hand"
    IMPORT = "import", "Import"
    API = "api", "API"
    WEBHOOK = "webhook", "CRM webhook"
    DEMO = "demo", "Demo"


class NotificationKind(models.TextChoices):
    """What needs a member: something given to them, a mention, their account turning red, an escalation."""

    ACCOUNT_ASSIGNED = "account_assigned", "Account assigned to you"
    TASK_ASSIGNED = "task_assigned", "Task assigned to you"
    MENTION = "mention", "Mentioned in a note"
    TURNED_RED = "turned_red", "Your account turned red"
    ESCALATION = "escalation", "Escalation"


class LearningKind(models.TextChoices):
    """Seed 000's operational CSM: training sessions, webinars and bootcamps the customer's users
    attend, and the knowledge-base articles they read."""

    TRAINING = "training", "Training session"
    WEBINAR = "webinar", "Webinar"
    BOOTCAMP = "bootcamp", "Bootcamp"
    ARTICLE = "article", "Knowledge-base article"


class LearningSource(models.TextChoices):
    EVENT = "event", "Product event"
    CSV = "csv", "Attendee CSV"
    API = "api", "API"


class TargetFigure(models.TextChoices):
    """Portfolio figures a manager can set a target on (seed 002: unhealthy accounts 34% → 25%)."""

    UNHEALTHY_SHARE = "unhealthy_share", "Share of unhealthy (red) accounts"
    NRR = "nrr", "Net revenue retention (trailing 12 months)"
    QBR_COVERAGE = "qbr_coverage", "QBR coverage"
