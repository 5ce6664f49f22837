"""The only place a success-plan status string is spelled."""

from django.db import models


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACHIEVED = "achieved", "Achieved"
    CLOSED = "closed", "Closed"


class CommitmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class LinkPurpose(models.TextChoices):
    SUCCESS_PLAN = "success_plan", "Success plan"
    ONBOARDING_PLAN = "onboarding_plan", "30/60/90-day plan"
