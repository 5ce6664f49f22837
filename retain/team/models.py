from __future__ import annotations

from django.db import models

from retain.accounts.models import Account, Contact
from retain.tasks.models import Task
from retain.team.choices import (
    AssignmentVia,
    HandoffSource,
    Influence,
    LearningKind,
    LearningSource,
    NotificationKind,
    PlanStatus,
    Sentiment,
    TargetFigure,
)
from retain.tenancy.models import Member, Workspace


class CoverageModel(models.Model):
    """How a workspace covers its tiers: owners, book sizes, cadence, channels, sponsor rule.

    Kept as the YAML a manager wrote (comments and order intact) and the cleaned data read from it;
    a workspace without one uses the seeds' model (team/defaults/coverage.yaml).
    """

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="coverage_model")
    source = models.TextField()
    definition = models.JSONField(default=dict)
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Coverage model of {self.workspace}"


class Assignment(models.Model):
    """One decision that gave an account an owner, with the reason in words."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="assignments")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assignments")
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    previous_owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    via = models.CharField(max_length=16, choices=AssignmentVia.choices)
    reason = models.CharField(max_length=500)
    actor = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return self.reason


class BalancePlan(models.Model):
    """A manager's balancing proposal: moves to preview, edit, then apply (or discard)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="balance_plans")
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # The constraints the proposal could not meet, in words: [{"kind", "csm", "message"}].
    unmet = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Balancing plan {self.pk} ({self.status})"


class BalanceMove(models.Model):
    """One account the plan moves; a manager may drop it or send it to someone else before applying."""

    plan = models.ForeignKey(BalancePlan, on_delete=models.CASCADE, related_name="moves")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    from_owner = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    to_owner = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    why = models.CharField(max_length=300)
    included = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "account"], name="balance_move_unique_account")]
        ordering = ["from_owner_id", "account__name", "id"]

    def __str__(self) -> str:
        return f"{self.account} → {self.to_owner}"


class Handoff(models.Model):
    """What sales hands to customer success when the deal closes (seed 004: the CSM joins once new
    business closes): what was sold, the customer's goals, stakeholders, promises and risks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="handoff")
    sold = models.TextField()
    goals = models.JSONField(default=list, blank=True)  # ["Double inbound leads", ...]
    stakeholders = models.JSONField(default=list, blank=True)  # [{"name", "email", "role"}]
    promises = models.JSONField(default=list, blank=True)  # [{"what", "by"}] (by: ISO date or null)
    risks = models.JSONField(default=list, blank=True)  # ["Migration from the old tool is late"]
    closed_on = models.DateField()
    source = models.CharField(max_length=10, choices=HandoffSource.choices)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Hand-off of {self.account}"


class Stakeholder(models.Model):
    """A contact's place on the account's stakeholder map: influence, sentiment, sponsor or not."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="stakeholder")
    influence = models.CharField(max_length=16, choices=Influence.choices, default=Influence.USER)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    # Seed 001's "sponsor selection": one executive sponsor per account at most.
    is_executive_sponsor = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.contact} ({self.influence})"


class Subsidiary(models.Model):
    """A child account of a group: its ARR, health and renewals roll up to the parent. One level:
    a parent is never itself a subsidiary."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subsidiaries")
    child = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="group_link")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "subsidiaries"

    def __str__(self) -> str:
        return f"{self.child} in {self.parent}"


class Notification(models.Model):
    """Something that needs one member, shown under the bell until they read it.

    `key`, when set, makes a notification once-only per member (a band move re-scored twice tells
    the owner once)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=300)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "read_at"], name="notification_member_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "key"], condition=~models.Q(key=""), name="notification_once_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Learning(models.Model):
    """One person of a customer account at one training session, webinar or bootcamp, or reading one
    knowledge-base article, on a day: from a product event or a CSV of attendees.

    `person` is the e-mail (CSV) or the product's user id (events), lower-cased; one row per person,
    session, kind and day, so importing the same CSV or folding the same events twice adds nothing.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="learnings")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    person = models.CharField(max_length=254)
    kind = models.CharField(max_length=10, choices=LearningKind.choices)
    session = models.CharField(max_length=200)
    day = models.DateField()
    source = models.CharField(max_length=6, choices=LearningSource.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "account", "person", "kind", "session", "day"], name="learning_unique_attendance"
            )
        ]
        indexes = [models.Index(fields=["workspace", "kind", "day"]), models.Index(fields=["account", "-day"])]
        ordering = ["-day", "session", "person"]

    def __str__(self) -> str:
        return f"{self.person}: {self.session} ({self.day})"


class PortfolioTarget(models.Model):
    """A manager's target on a portfolio figure: where it stood when set, where it should be, by when."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(max_length=20, choices=TargetFigure.choices)
    # Shares as fractions (0.34 for 34%), like the figures they track.
    start_value = models.FloatField(null=True, blank=True)
    start_on = models.DateField()
    target_value = models.FloatField()
    due_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "figure"], name="portfolio_target_one_per_figure")]
        ordering = ["figure"]

    def __str__(self) -> str:
        return f"{self.get_figure_display()} → {self.target_value:g} by {self.due_on}"
