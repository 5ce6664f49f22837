from django.db import models


class TaskKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "E-mail"
    MEETING = "meeting", "Meeting"
    REVIEW = "review", "Review"
    ESCALATION = "escalation", "Escalation"
    ONBOARDING = "onboarding", "Onboarding"
    ADVOCACY = "advocacy", "Advocacy ask"
    RENEWAL = "renewal", "Renewal"
    OTHER = "other", "Other"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Most pressing first when tasks due the same day are listed.
PRIORITY_RANK = {TaskPriority.URGENT: 0, TaskPriority.HIGH: 1, TaskPriority.NORMAL: 2, TaskPriority.LOW: 3}


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    PLAYBOOK = "playbook", "Playbook"
