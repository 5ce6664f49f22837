from django.db import models


class Tier(models.TextChoices):
    """Seed 000/001: tech-touch, mid-touch and high-touch coverage."""

    COMMUNITY = "community", "Community"
    ENTERPRISE = "enterprise", "Enterprise"
    STRATEGIC = "strategic", "Strategic"


class Edition(models.TextChoices):
    PROFESSIONAL = "professional", "Professional"
    ENTERPRISE = "enterprise", "Enterprise"


class Stage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    SUCCESS = "success", "Success"
    RENEWAL = "renewal", "Renewal"
    EXPANSION = "expansion", "Expansion"
    CHURNED = "churned", "Churned"


class ContactRole(models.TextChoices):
    CHAMPION = "champion", "Champion"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    DECISION_MAKER = "decision_maker", "Decision maker"
    ADMIN = "admin", "Admin"
    USER = "user", "User"


class ContactStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    LEFT = "left", "Left the company"
    # Personal data removed on request (right to erasure); the row stays so aggregates keep counting.
    ERASED = "erased", "Erased"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"


class MovementKind(models.TextChoices):
    NEW = "new", "New"
    EXPANSION = "expansion", "Expansion"
    CONTRACTION = "contraction", "Contraction"
    CHURN = "churn", "Churn"
    REACTIVATION = "reactivation", "Reactivation"
    # A change of product or a new term at the same MRR: history without a revenue movement.
    CHANGE = "change", "Change"


class TouchpointKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "E-mail"
    NOTE = "note", "Note"


class EntryKind(models.TextChoices):
    """Every kind of timeline entry; accounts/timeline.py has one factory per kind."""

    ACCOUNT_CREATED = "account_created", "Account created"
    ACCOUNT_UPDATED = "account_updated", "Account updated"
    OWNER_CHANGED = "owner_changed", "Owner changed"
    CONTACT_ADDED = "contact_added", "Contact added"
    CONTACT_UPDATED = "contact_updated", "Contact updated"
    CONTACT_LEFT = "contact_left", "Contact left the company"
    CONTACT_ERASED = "contact_erased", "Contact's personal data erased"
    SUBSCRIPTION_STARTED = "subscription_started", "Subscription started"
    SUBSCRIPTION_CHANGED = "subscription_changed", "Subscription changed"
    TOUCHPOINT_LOGGED = "touchpoint_logged", "Touchpoint logged"
    RENEWAL_WINDOW_OPENED = "renewal_window_opened", "Renewal window opened"
    SURVEY_SENT = "survey_sent", "Survey sent"
    SURVEY_ANSWERED = "survey_answered", "Survey answered"
    # Their own kinds so that playbooks can trigger on an unhappy answer alone.
    DETRACTOR_ANSWERED = "detractor_answered", "NPS detractor answered"
    LOW_CSAT_ANSWERED = "low_csat_answered", "Low CSAT answered"
    CONTACT_UNSUBSCRIBED = "contact_unsubscribed", "Contact unsubscribed from e-mail"
    HEALTH_BAND_CHANGED = "health_band_changed", "Health band changed"
    PULSE_SET = "pulse_set", "CSM pulse set"
    RENEWAL_OPENED = "renewal_opened", "Renewal opportunity opened"
    RENEWAL_CLOSED = "renewal_closed", "Renewal closed"
    EXPANSION_OPPORTUNITY_OPENED = "expansion_opportunity_opened", "Expansion opportunity opened"
    STAGE_CHANGED = "stage_changed", "Lifecycle stage changed"
    MILESTONE_COMPLETED = "milestone_completed", "Milestone completed"
    BARRIER_OPENED = "barrier_opened", "Barrier opened"
    TASK_COMPLETED = "task_completed", "Task completed"
    EMAIL_SENT = "email_sent", "E-mail sent"
    # A bounce or complaint marks the contact; a champion's bounce is a playbook trigger.
    EMAIL_BOUNCED = "email_bounced", "E-mail bounced"
    # Product events and inbound calls that playbooks trigger on, kept as timeline facts.
    TICKET_ESCALATED = "ticket_escalated", "Support ticket escalated"
    WEBHOOK_RECEIVED = "webhook_received", "Inbound webhook received"
    # A customer's question routed to a desk (retain.routing); cancellation intent and complaints
    # are their own kinds so that playbooks can trigger on them alone.
    INBOUND_QUESTION = "inbound_question", "Customer question routed"
    CANCELLATION_INTENT = "cancellation_intent", "Customer said they may cancel"
    COMPLAINT_RECEIVED = "complaint_received", "Customer complaint received"
    PLAYBOOK_STEP_RAN = "playbook_step_ran", "Playbook step ran"
    # The customer portal (retain.portal): a contact signed in, or ticked or asked something there.
    PORTAL_SIGNED_IN = "portal_signed_in", "Signed in to the customer portal"
    PORTAL_ACTION = "portal_action", "Acted in the customer portal"


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    CONTACTS = "contacts", "Contacts"
    SUBSCRIPTIONS = "subscriptions", "Subscriptions"
    RESPONSES = "responses", "Survey responses"
    HISTORY = "history", "Product events"


class ImportStatus(models.TextChoices):
    # Uploaded and waiting for a worker; then being written, chunk by chunk.
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    # Stopped by something other than the file's rows (the stored file gone, a bug): see `errors`.
    FAILED = "failed", "Failed"
    APPLIED = "applied", "Applied"
    PARTIAL = "partial", "Applied in part"
    REFUSED = "refused", "Refused"
    DRY_RUN = "dry_run", "Dry run"
