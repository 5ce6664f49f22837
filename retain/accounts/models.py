from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from retain.accounts.choices import (
    ContactRole,
    ContactStatus,
    Edition,
    EntryKind,
    ImportKind,
    ImportStatus,
    MovementKind,
    Stage,
    SubscriptionStatus,
    Tier,
    TouchpointKind,
)
from retain.tenancy.models import Member, Workspace


def money_field(**options: Any) -> models.DecimalField[Decimal, Decimal]:
    """An amount of money: 16 digits with cents, enough for any ARR in any currency."""
    return models.DecimalField(max_digits=16, decimal_places=2, **options)


class Account(models.Model):
    """A customer company: the unit a CSM owns, scores, renews and expands."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accounts")
    external_id = models.CharField(max_length=128, blank=True, help_text="The id in the CRM it came from.")
    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, blank=True)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.COMMUNITY)
    edition = models.CharField(max_length=16, choices=Edition.choices, default=Edition.PROFESSIONAL)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.ONBOARDING)
    stage_entered_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="book")
    # Firmographics: facts about the customer company itself, never our revenue from it.
    industry = models.CharField(max_length=100, blank=True)
    employees = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = money_field(null=True, blank=True)
    traits = models.JSONField(default=dict, blank=True)
    # Our monthly recurring revenue from the account's active subscriptions, in the workspace
    # currency. Kept as a column (by accounts.services) because the book is sorted and filtered
    # by it, and the conversion from subscription currencies cannot be done in a portable query.
    mrr = money_field(default=Decimal(0))
    customer_since = models.DateField(null=True, blank=True)
    # Created by a product-usage `group` call whose groupId matched no account: a customer the CRM
    # has not sent yet, or a typo in the sender (the trial had one). Not scored until it pays.
    from_unknown_group = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="account_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "name"]),
            models.Index(fields=["workspace", "mrr"]),
            models.Index(fields=["workspace", "owner"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arr(self) -> Decimal:
        return self.mrr * 12


class Contact(models.Model):
    """A person at a customer account, with the part they play in the relationship."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    external_id = models.CharField(max_length=128, blank=True)
    email = models.EmailField(blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.USER)
    status = models.CharField(max_length=10, choices=ContactStatus.choices, default=ContactStatus.ACTIVE)
    left_on = models.DateField(null=True, blank=True)
    # Kept by retain.surveys: the latest NPS answer (promoter / passive / detractor), when the
    # contact is not to be surveyed, and when they asked for no more e-mail from us.
    nps_score = models.PositiveSmallIntegerField(null=True, blank=True)
    nps_category = models.CharField(max_length=10, blank=True)
    nps_answered_at = models.DateTimeField(null=True, blank=True)
    surveys_snoozed_until = models.DateField(null=True, blank=True)
    email_unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Kept by retain.messaging: a mail provider reported a hard bounce or a spam complaint.
    email_bounced_at = models.DateTimeField(null=True, blank=True)
    email_complaint_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="contact_unique_external_id",
            ),
            models.UniqueConstraint(fields=["workspace", "email"], condition=~Q(email=""), name="contact_unique_email"),
        ]
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        if self.status == ContactStatus.ERASED:
            return "Erased contact"
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Subscription(models.Model):
    """What an account buys: a product, seats at a price, for a term that comes up for renewal."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="subscriptions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    external_id = models.CharField(max_length=128, blank=True)
    product = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    seats = models.PositiveIntegerField(default=1)
    mrr = money_field(validators=[MinValueValidator(Decimal(0))])
    started_on = models.DateField()
    term_end = models.DateField()
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "external_id"],
                condition=~Q(external_id=""),
                name="subscription_unique_external_id",
            )
        ]
        indexes = [models.Index(fields=["workspace", "status", "term_end"])]
        ordering = ["term_end"]

    def __str__(self) -> str:
        return f"{self.product} ({self.account})"


class SubscriptionMovement(models.Model):
    """A dated change of a subscription's MRR, seats or product: the ledger MRR history is read from."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="movements")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="movements")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="movements")
    effective_on = models.DateField()
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    mrr_before = money_field()
    mrr_after = money_field()
    seats_before = models.PositiveIntegerField()
    seats_after = models.PositiveIntegerField()
    product_before = models.CharField(max_length=200, blank=True)
    product_after = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]
        indexes = [
            models.Index(fields=["subscription", "effective_on"]),
            models.Index(fields=["workspace", "effective_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.mrr_delta:+} on {self.effective_on}"

    @property
    def mrr_delta(self) -> Decimal:
        return self.mrr_after - self.mrr_before


class Touchpoint(models.Model):
    """A conversation with the customer: a call, meeting, e-mail or note, with its next step."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="touchpoints")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="touchpoints")
    kind = models.CharField(max_length=10, choices=TouchpointKind.choices)
    occurred_at = models.DateTimeField()
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="touchpoints")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="touchpoints")
    summary = models.TextField()
    next_step = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["account", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.account} on {self.occurred_at:%Y-%m-%d}"


class TimelineEntry(models.Model):
    """One fact in an account's history: the customer record, the audit log and the trigger source."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="timeline")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40, choices=EntryKind.choices)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Who did it when no member did: "import", "api", "system", "demo".
    actor_label = models.CharField(max_length=40, blank=True)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Facts that must be written once only (a renewal window opening) carry a key.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "dedupe_key"], name="timeline_unique_dedupe_key")]
        indexes = [
            models.Index(fields=["account", "-occurred_at"]),
            models.Index(fields=["workspace", "kind", "-occurred_at"]),
        ]
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return self.summary


class Segment(models.Model):
    """A named, saved filter over accounts, re-evaluated every time it is used (e.g. as an audience)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=120)
    criteria = models.JSONField(default=dict)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="segment_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One import of a file (CSV records or product event history), kept with its outcome and its report of
    the rows it refused."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Headers the import did not read (no field of this kind answers to them), as written in the file.
    ignored_columns = models.JSONField(default=list, blank=True)
    # A background import (accounts.imports.background): the uploaded file under
    # DATA_DIR/imports until the run ends, the options it was asked with, and its checkpoint:
    # `rows_done` parsed rows are written, committed in the same transaction as the rows
    # themselves, so a worker that dies resumes after the last committed chunk.
    stored_file = models.CharField(max_length=300, blank=True)
    dry_run = models.BooleanField(default=False)
    allow_partial = models.BooleanField(default=False)
    rows_done = models.PositiveIntegerField(default=0)
    rows_to_write = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the kind did once every row was in (a history import folds its events into daily usage).
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} import of {self.filename} ({self.status})"

    @property
    def in_progress(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def percent_done(self) -> int:
        if not self.rows_to_write:
            return 0 if self.in_progress else 100
        return min(100, round(100 * self.rows_done / self.rows_to_write))
