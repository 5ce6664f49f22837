"""Success plans: what the customer wants to achieve, how we will both know, and who does what.

A plan belongs to one account. Its tree is goal (the customer's vision broken down) → objective →
key success metric; commitments (joint accountabilities) hang off the plan, each owned by exactly one
person, either a customer contact or a member of our team. Every change leaves a PlanEvent, which is
the plan's history. A SharedLink lets the customer read the plan without logging in.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from retain.accounts.models import Account, Contact
from retain.plans.choices import CommitmentStatus, LinkPurpose, PlanStatus
from retain.tenancy.models import Member, Workspace


class SuccessPlan(models.Model):
    """One account's success plan: the customer's vision and the status of the plan as a whole."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="success_plan")
    vision = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Success plan of {self.account_id}"


class Goal(models.Model):
    """A business outcome the customer wants ("double inbound leads this year")."""

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Objective(models.Model):
    """A concrete step towards a goal, measured by its key success metrics."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class SuccessMetric(models.Model):
    """A key success metric: where it started, where it is, where it should get to.

    When `measure_kind` names a health measure kind, the current value is refreshed from usage by
    `metrics_refresh`; otherwise people type it in.
    """

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    start_value = models.DecimalField(max_digits=16, decimal_places=4, default=Decimal(0))
    current_value = models.DecimalField(max_digits=16, decimal_places=4, default=Decimal(0))
    target_value = models.DecimalField(max_digits=16, decimal_places=4)
    # Room for a warehouse kind: "warehouse_low." and a key of up to 60 characters.
    measure_kind = models.CharField(max_length=80, blank=True)
    current_as_of = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Commitment(models.Model):
    """A joint accountability: something the customer or we promised to do by a date."""

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="commitments")
    description = models.CharField(max_length=300)
    owner_contact = models.ForeignKey(Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    owner_member = models.ForeignKey(Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN)
    # The generated step it came from ("onboarding:enterprise:3"); empty for one typed in.
    source_key = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # Exactly one owner: a customer contact (their side) or a member (ours).
            models.CheckConstraint(
                condition=(models.Q(owner_contact__isnull=False, owner_member__isnull=True))
                | (models.Q(owner_contact__isnull=True, owner_member__isnull=False)),
                name="commitment_exactly_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def side(self) -> str:
        return "customer" if self.owner_contact_id else "us"


class PlanEvent(models.Model):
    """One change to a success plan, in words: the plan's history."""

    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=400)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.summary


class SharedLink(models.Model):
    """A read-only link for the customer: only the SHA-256 of its token is stored.

    It stops working when it expires or is revoked; it shows one account's plan and nothing else.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="shared_links")
    purpose = models.CharField(max_length=24, choices=LinkPurpose.choices, default=LinkPurpose.SUCCESS_PLAN)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.account_id}"
