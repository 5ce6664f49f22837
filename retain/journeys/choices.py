from django.db import models


class MilestoneKind(models.TextChoices):
    """How a milestone completes: ticks by the team, or a data condition over usage and account fields."""

    CHECKLIST = "checklist", "Checklist"
    DATA = "data", "Data condition"
    # Completes from the account's renewal outcome (renewals.services.renewal_close), never from ticks.
    RENEWAL = "renewal", "Renewal outcome"


class MilestoneStatus(models.TextChoices):
    """Where a milestone stands; the thresholds are in retain/journeys/evaluation.py."""

    NOT_STARTED = "not_started", "Not started"
    ON_TRACK = "on_track", "On track"
    BEHIND = "behind", "Behind"
    STUCK = "stuck", "Stuck"
    DONE = "done", "Done"
    DONE_LATE = "done_late", "Done late"
    # The journey ended before this milestone was reached (the account churned): no longer behind or stuck.
    CLOSED = "closed", "Closed"


DONE_STATUSES = (MilestoneStatus.DONE, MilestoneStatus.DONE_LATE)


class BarrierKind(models.TextChoices):
    """Seed 002: what stands in a milestone's way is the customer's challenge or our own issue."""

    CUSTOMER_CHALLENGE = "customer_challenge", "Customer challenge"
    OUR_ISSUE = "our_issue", "Our issue"


class BarrierState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
