from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from retain.lib.senders import DEFAULT_SENDER_NAME, address_of, from_header, sender_name, sender_name_error
from retain.tenancy.choices import (
    AuditAction,
    CapacityUnit,
    CsmKind,
    InvitationStatus,
    JobName,
    JobStatus,
    Role,
    UnknownGroups,
)

DEFAULT_RENEWAL_WINDOW_DAYS = 90  # seed 002: "new process initiates renewals 90 days out"
DEFAULT_GROSS_MARGIN_PCT = Decimal(75)  # seed 002's CLV example: 75% × $500 / 1% = $37,500
GROSS_MARGIN_PCT_RANGE = (Decimal(1), Decimal(100))


class Workspace(models.Model):
    """One customer-success organisation: its book of business, people, settings and data."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as USD.")],
    )
    # How many days before a subscription's term end its renewal work starts, per tier.
    renewal_window_community_days = models.PositiveIntegerField(default=DEFAULT_RENEWAL_WINDOW_DAYS)
    renewal_window_enterprise_days = models.PositiveIntegerField(default=DEFAULT_RENEWAL_WINDOW_DAYS)
    renewal_window_strategic_days = models.PositiveIntegerField(default=DEFAULT_RENEWAL_WINDOW_DAYS)
    # Who e-mail to customers and members is from (retain.lib.senders): the name pattern, and the
    # address, empty for the server's own (RETAIN_DEFAULT_FROM_EMAIL). Replies to a customer go
    # to the account's CSM (Reply-To), not to this address.
    sender_name = models.CharField(max_length=200, default=DEFAULT_SENDER_NAME)
    sender_email = models.EmailField(blank=True)
    # A Segment group call with a groupId no account has: create the account, or hold it for an admin.
    unknown_groups = models.CharField(max_length=8, choices=UnknownGroups.choices, default=UnknownGroups.CREATE)
    # Built by `retain demo` from a seed: every page of it says its data is synthetic.
    is_demo = models.BooleanField(default=False)
    # The share of revenue kept after the cost of serving it, in percent: every customer lifetime value
    # (seed formula and sBG) multiplies by it.
    gross_margin_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_GROSS_MARGIN_PCT,
        validators=[MinValueValidator(GROSS_MARGIN_PCT_RANGE[0]), MaxValueValidator(GROSS_MARGIN_PCT_RANGE[1])],
        verbose_name="gross margin (%)",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def gross_margin(self) -> float:
        """The gross margin as a share (0.75 for 75%), as the CLV formulas take it."""
        return float(self.gross_margin_pct) / 100

    @property
    def gross_margin_label(self) -> str:
        """The gross margin as an admin typed it: "75%", "62.5%"."""
        text = f"{self.gross_margin_pct:.2f}".rstrip("0").rstrip(".")
        return f"{text}%"

    def renewal_window_days(self, tier: str) -> int:
        return int(getattr(self, f"renewal_window_{tier}_days"))

    def sender_parts(self, csm: str = "") -> tuple[str, str]:
        """(name, address) that e-mail from this workspace is from, in the name of `csm` when there is one."""
        # A pattern that never went through workspace_update (an old import) falls back to the default.
        pattern = self.sender_name if not sender_name_error(self.sender_name) else DEFAULT_SENDER_NAME
        address = self.sender_email or address_of(settings.DEFAULT_FROM_EMAIL)
        return sender_name(pattern, csm=csm, workspace=self.name), address

    def sender(self, csm: str = "") -> str:
        """The From header of e-mail from this workspace, in the name of `csm` when there is one."""
        return from_header(*self.sender_parts(csm))

    @property
    def fallback_owner(self) -> Member | None:
        """The member chosen to take the tasks of accounts nobody owns (kept on the member, at most one)."""
        return self.members.filter(is_fallback_owner=True).select_related("user").first()


class Member(models.Model):
    """A person's seat in a workspace: their role, and for a CSM the kind of book and its capacity."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    csm_kind = models.CharField(max_length=16, choices=CsmKind.choices, blank=True)
    capacity_unit = models.CharField(max_length=16, choices=CapacityUnit.choices, blank=True)
    capacity = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    is_active = models.BooleanField(default=True)
    # Who this member reports to: a task still open too long is escalated to them.
    # Takes the tasks of accounts nobody owns (or whose owner left); none chosen = the first manager.
    is_fallback_owner = models.BooleanField(default=False)
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name="reports to"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="member_unique_user"),
            models.UniqueConstraint(
                fields=["workspace"], condition=models.Q(is_fallback_owner=True), name="member_one_fallback_owner"
            ),
        ]
        ordering = ["user__email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.user.get_full_name()
        return full or self.user.email or self.user.get_username()

    @property
    def can_manage(self) -> bool:
        """Managers and admins edit everything in the workspace."""
        return self.role in (Role.ADMIN, Role.MANAGER)

    @property
    def can_write(self) -> bool:
        return self.role != Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ExchangeRate(models.Model):
    """How many units of the workspace currency one unit of `currency` was worth from `valid_from`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="exchange_rates")
    currency = models.CharField(max_length=3)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "currency", "valid_from"], name="rate_unique_day")]
        ordering = ["currency", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.currency}→{self.workspace.currency} {self.rate} from {self.valid_from}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A REST API credential acting as one member; only its SHA-256 is stored."""

    PREFIX = "rtn_"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def new_raw_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class WriteKey(models.Model):
    """A workspace's key for sending product usage to the ingest API (Segment's "write key").

    Only its SHA-256 is stored; the raw key is shown once when it is created.
    """

    PREFIX = "wk_"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="write_keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def new_raw_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(24)


class Invitation(models.Model):
    """An admin's invitation for someone to join the workspace with a role, sent by e-mail.

    The e-mailed link carries a signed invitation id and a random key of which only the SHA-256 is
    stored: re-sending draws a new key, so only the latest link works, and accepting uses it up.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> str:
        return str(InvitationStatus(self.status).label)


class AuditEntry(models.Model):
    """One change to who may do what in a workspace, or to what it runs on: settings, scorecards,
    playbooks, journey templates, members and roles, exports, erasures, API tokens and write keys.

    The actor's and the target's names are copied in, so the entry still reads after either is gone.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_entries")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Empty when the change came from the command line or the system itself.
    actor_name = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "-at"], name="audit_workspace_at")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.target}"


class JobRun(models.Model):
    """One run of a background job for one workspace: when it started and finished, how many rows it
    wrote or deleted, and the error that stopped it. The operator's record of "did last night's
    scoring run?", shown on the Jobs page and pruned after RETAIN_JOB_RUN_RETENTION_DAYS.

    The row is written when the run starts (status running) and completed when it ends, so a worker
    that died mid-run leaves a run that never finished rather than no trace at all.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="job_runs")
    job = models.CharField(max_length=40, choices=JobName.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    # What the job counts: accounts scored, events folded, opportunities opened, rows deleted.
    rows = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "job", "-started_at"], name="jobrun_workspace_job_started"),
            models.Index(fields=["workspace", "-started_at"], name="jobrun_workspace_started"),
        ]

    def __str__(self) -> str:
        return f"{self.job} in workspace {self.workspace_id} at {self.started_at:%Y-%m-%d %H:%M}: {self.status}"

    @property
    def duration(self) -> dt.timedelta | None:
        return None if self.finished_at is None else self.finished_at - self.started_at
