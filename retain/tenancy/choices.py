from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CSM = "csm", "CSM"
    VIEWER = "viewer", "Viewer"


class CsmKind(models.TextChoices):
    """Seed 000/002: the kinds of customer-success managers and the books they carry."""

    STRATEGIC = "strategic", "Strategic"
    ENTERPRISE = "enterprise", "Enterprise"
    SMB = "smb", "SMB"
    OPERATIONAL = "operational", "Operational"


class CapacityUnit(models.TextChoices):
    ACCOUNTS = "accounts", "Accounts"
    ARR = "arr", "ARR"


class AuditAction(models.TextChoices):
    """What an audit log entry records: a change to who may do what, or to what the workspace runs on."""

    SETTINGS_UPDATED = "settings.updated", "Settings changed"
    EXCHANGE_RATE_SET = "exchange_rate.set", "Exchange rate set"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_UPDATED = "member.updated", "Member changed"
    MEMBER_INVITED = "member.invited", "Member invited"
    INVITATION_RESENT = "invitation.resent", "Invitation re-sent"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    WRITE_KEY_CREATED = "write_key.created", "Write key created"
    WRITE_KEY_REVOKED = "write_key.revoked", "Write key revoked"
    SCORECARD_PUBLISHED = "scorecard.published", "Scorecard published"
    PLAYBOOK_SAVED = "playbook.saved", "Playbook saved"
    PLAYBOOK_SWITCHED = "playbook.switched", "Playbook switched on or off"
    JOURNEY_TEMPLATE_PUBLISHED = "journey_template.published", "Journey template published"
    UNMATCHED_GROUP_RESOLVED = "unmatched_group.resolved", "Unmatched group linked or created"
    EXPORT = "export", "Data exported"
    ERASURE = "erasure", "Personal data erased"


class UnknownGroups(models.TextChoices):
    """What a Segment `group` call whose groupId names no account does."""

    # As Segment-fed tools do: the account is created, marked, and not scored until it pays.
    CREATE = "create", "Create the account"
    # Kept in the unmatched-groups list, with its events, until an admin links or creates it.
    HOLD = "hold", "Hold it for an admin"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class JobName(models.TextChoices):
    """The background jobs that work through workspaces one by one, each recorded per workspace as
    a `JobRun`. The label is what the Jobs page calls it; the value names the app and the loop."""

    USAGE_FOLD = "usage.fold", "Usage fold (rollups, then re-score and milestones)"
    USAGE_EXPIRE_EVENTS = "usage.expire_events", "Raw event expiry"
    RENEWAL_WINDOWS = "accounts.renewal_windows", "Renewal windows opened"
    RENEWALS_OPEN = "renewals.open", "Renewal opportunities opened"
    EXPANSION_SIGNALS = "renewals.expansion_signals", "Expansion signals scanned"
    SUCCESS_METRICS = "plans.success_metrics", "Success-plan metrics refreshed"
    HEALTH_NIGHTLY = "health.nightly", "Nightly health scoring"
    JOURNEYS_NIGHTLY = "journeys.nightly", "Nightly journey evaluation"
    CHURN_MODEL = "risk.churn_model", "Churn model training"
    ROUTING_RETRAIN = "routing.retrain", "Question router retraining"
    PLAYBOOK_SCAN = "playbooks.scan", "Playbook triggers scanned"
    PLAYBOOK_DIGESTS = "playbooks.digests", "Playbook digests sent"
    JOB_RUNS_PRUNE = "tenancy.job_runs_prune", "Old job runs pruned"


class JobStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
