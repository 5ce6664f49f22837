from __future__ import annotations

from typing import Any

from django.db import models

from retain.accounts.models import Account, Contact
from retain.journeys.choices import BarrierKind, BarrierState, MilestoneStatus
from retain.tenancy.models import Member, Workspace


class JourneyTemplate(models.Model):
    """One version of the path a segment of customers walks from kick-off to renewal.

    `milestones` is the ordered list validated by journeys.templates.clean_milestones at save:
    [{"key", "name", "target_week", "kind": "checklist"|"data"|"renewal", "criteria": {...}, "items": [...]}].
    A change publishes a new version; journeys already under way keep the version they started on.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="journey_templates")
    key = models.SlugField(max_length=60, help_text="Names the template across its versions.")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    # Which accounts it applies to: {"tier": [...], "edition": [...]}; an absent key matches all.
    applies_to = models.JSONField(default=dict, blank=True)
    # Lower goes first when more than one template applies to an account.
    priority = models.PositiveIntegerField(default=100)
    milestones = models.JSONField(default=list)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key", "version"], name="journey_template_unique_version"),
        ]
        ordering = ["priority", "key", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def milestone(self, key: str) -> dict[str, Any]:
        return next(item for item in self.milestones if item["key"] == key)


class Journey(models.Model):
    """One account walking one template version; an account is on one journey at a time."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="journey")
    template = models.ForeignKey(JourneyTemplate, on_delete=models.PROTECT, related_name="journeys")
    started_on = models.DateField()
    evaluated_on = models.DateField(null=True, blank=True)
    # A journey ends when the account churns: its open milestones close and nothing re-evaluates it.
    closed_on = models.DateField(null=True, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.account_id} on {self.template}"


class MilestoneProgress(models.Model):
    """Where one account stands on one milestone of its journey, and what proves it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="progress")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField()
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=MilestoneStatus.choices, default=MilestoneStatus.NOT_STARTED)
    completed_on = models.DateField(null=True, blank=True)
    # What completed it: {"summary": "Blog Migrated on 2026-09-03", "events": {...}, "explain": [...]}.
    evidence = models.JSONField(default=dict, blank=True)
    # Checklist ticks: {"item text": {"on": "2026-09-03", "by": member id}}.
    ticks = models.JSONField(default=dict, blank=True)
    # A measured milestone (journeys.measured): the baseline kept the first time it was known, and the
    # latest readings with why a measure has no value: {"baseline": {...}, "as_of": ..., "readings": {...}}.
    measured = models.JSONField(default=dict, blank=True)
    # The last day anything moved: a tick, or a key event the criteria read was first seen.
    last_progress_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "key"], name="milestone_progress_unique_key")]
        indexes = [models.Index(fields=["workspace", "status"])]
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None


class Barrier(models.Model):
    """Something in the way of one milestone: a customer challenge or our issue, with an owner."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="barriers")
    progress = models.ForeignKey(MilestoneProgress, on_delete=models.CASCADE, related_name="barriers")
    kind = models.CharField(max_length=20, choices=BarrierKind.choices)
    title = models.CharField(max_length=200, help_text="Said the same way across accounts so it can be counted.")
    note = models.TextField(blank=True)
    # Owned by someone on our team or by a customer contact (one of the two).
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    owner_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.CharField(max_length=10, choices=BarrierState.choices, default=BarrierState.OPEN)
    opened_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "opened_on"])]
        ordering = ["-opened_on", "-id"]

    def __str__(self) -> str:
        return self.title
