from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    """Where an outbound message is on its way out; `sent`, `failed` and `suppressed` are final."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCE = "bounce", "Bounced"
    COMPLAINT = "complaint", "Complaint"
    MANUAL = "manual", "Added by hand"


class EmailEventType(models.TextChoices):
    """What a mail provider reports about an address we sent to."""

    BOUNCE = "bounce", "Bounce"
    COMPLAINT = "complaint", "Complaint"
