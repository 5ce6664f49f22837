from django.db import models


class TriggerKind(models.TextChoices):
    """When a playbook fires: on a date, on a condition turning true, or on a timeline fact."""

    TIME = "time", "Time"
    DATA = "data", "Data condition"
    EVENT = "event", "Timeline event"


class TimeFrom(models.TextChoices):
    """What a time trigger counts its days from."""

    SUBSCRIPTION_START = "subscription_start", "Subscription start"
    CUSTOMER_SINCE = "customer_since", "Customer since"
    STAGE_ENTRY = "stage_entry", "Stage entry"
    RENEWAL_WINDOW = "renewal_window", "Renewal window opening"


class EnrollmentStatus(models.TextChoices):
    """Where one occurrence stands. Pending and waiting rows are due work, claimed by the sweep."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


DUE_STATUSES = (EnrollmentStatus.PENDING, EnrollmentStatus.WAITING)
FINISHED_STATUSES = (EnrollmentStatus.DONE, EnrollmentStatus.SKIPPED, EnrollmentStatus.FAILED)


class StepKind(models.TextChoices):
    TASK = "task", "Create a task"
    EMAIL = "email", "Send an e-mail"
    SLACK = "slack", "Post to Slack"
    WEBHOOK = "webhook", "Call a webhook"
    SET = "set", "Update a field"
    WAIT = "wait", "Wait"
    ENROL = "enrol", "Enrol in another playbook"
    ESCALATE = "escalate", "Escalate to the manager"
    ADVOCACY = "advocacy", "Ask for advocacy"


class StepStatus(models.TextChoices):
    OK = "ok", "OK"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class AdvocacyAsk(models.TextChoices):
    TESTIMONIAL = "testimonial", "Testimonial"
    CASE_STUDY = "case_study", "Case study"
    REFERENCE = "reference", "Reference call"
    REVIEW = "review", "Public review"
