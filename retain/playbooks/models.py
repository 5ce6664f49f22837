from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from retain.accounts.models import Account
from retain.playbooks.choices import EnrollmentStatus, StepStatus, TriggerKind
from retain.tenancy.models import Member, Workspace


class Playbook(models.Model):
    """One version of an automated response: who it is for, what sets it off, and the steps it runs.

    `definition` is the document cleaned by playbooks.definition.clean_definition at save; `source`
    keeps the YAML exactly as written so export gives back the author's comments and layout.
    Saving a changed definition adds a version; enrolments keep the version that fired them.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="playbooks")
    key = models.SlugField(max_length=60, help_text="Names the playbook across its versions.")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    trigger_kind = models.CharField(max_length=8, choices=TriggerKind.choices)
    definition = models.JSONField()
    source = models.TextField(blank=True)
    is_current = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key", "version"], name="playbook_unique_version"),
            models.UniqueConstraint(
                fields=["workspace", "key"], condition=Q(is_current=True), name="playbook_one_current_version"
            ),
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def steps(self) -> list[dict[str, object]]:
        return list(self.definition.get("steps", []))


class Enrollment(models.Model):
    """One occurrence of a playbook for one account, fired exactly once and then worked through.

    The unique (workspace, playbook_key, account, occurrence_key) is what makes an occurrence fire
    once: a re-scan, an overlapping scan or a new version of the playbook all hit the same key.
    `due_at` is when the sweep should next work on it (at first, then after each wait);
    `fired_at` is when the occurrence was due at first and never moves: frequency limits count it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="enrollments")
    playbook_key = models.SlugField(max_length=60)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="enrollments")
    occurrence_key = models.CharField(max_length=120)
    status = models.CharField(max_length=8, choices=EnrollmentStatus.choices, default=EnrollmentStatus.PENDING)
    due_at = models.DateTimeField(db_index=True)
    fired_at = models.DateTimeField(default=timezone.now)
    step_index = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=100, null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    skip_reason = models.CharField(max_length=500, blank=True)
    last_error = models.TextField(blank=True)
    # What fired it and what it made: {"entry_id", "explain": [...], "tasks": {"0": task id}, "via"}.
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "playbook_key", "account", "occurrence_key"], name="enrollment_unique_occurrence"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="enrollment_due"),
            models.Index(fields=["workspace", "playbook_key", "account", "-created_at"], name="enrollment_recent"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.playbook_key} for account {self.account_id} ({self.occurrence_key}): {self.status}"


class StepRun(models.Model):
    """One step of one enrolment, run once: what it did or why it did not, and how long it took."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="step_runs")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=10)
    status = models.CharField(max_length=8, choices=StepStatus.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "index"], name="step_run_unique_index")]
        ordering = ["enrollment", "index"]

    def __str__(self) -> str:
        return f"step {self.index} ({self.kind}): {self.status}"


class ConditionState(models.Model):
    """Whether a data trigger's condition held for an account at the last scan, and since when.

    A false → true edge is an occurrence (keyed by the day it became true); with hold_hours the
    condition must have held that long (true_since) before the occurrence is written.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    playbook_key = models.SlugField(max_length=60)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    is_true = models.BooleanField(default=False)
    true_since = models.DateTimeField(null=True, blank=True)
    # The edge already fired (true_since's occurrence is written); reset when it turns false.
    fired = models.BooleanField(default=False)
    last_checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "playbook_key", "account"], name="condition_state_unique")
        ]

    def __str__(self) -> str:
        return f"{self.playbook_key} on {self.account_id}: {self.is_true}"


class ScanMark(models.Model):
    """How far a workspace's event triggers have read the timeline: the last entry id scanned."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    playbook_key = models.SlugField(max_length=60)
    last_entry_id = models.BigIntegerField(default=0)
    scanned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "playbook_key"], name="scan_mark_unique")]

    def __str__(self) -> str:
        return f"{self.playbook_key}: entry {self.last_entry_id}"


class Snooze(models.Model):
    """No playbook runs for the account until the day given: the CSM asked for quiet."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="playbook_snoozes")
    until = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "until"])]
        ordering = ["-until"]

    def __str__(self) -> str:
        return f"{self.account_id} snoozed until {self.until}"


class DigestItem(models.Model):
    """One alert of a digest playbook, held for the member's daily digest e-mail instead of sent alone.

    The day's items go out together early the next day (workspace time zone); `sent_at` marks them
    handed over to the outbox, in the transaction that queues the digest, which retries from there.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="playbook_digest_items")
    day = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="digest_items")
    step_index = models.PositiveIntegerField()
    text = models.CharField(max_length=500)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "step_index", "member"], name="digest_item_unique_step")
        ]
        indexes = [
            models.Index(fields=["workspace", "day"], condition=Q(sent_at__isnull=True), name="digest_item_unsent")
        ]
        ordering = ["day", "account_id", "id"]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.day}: {self.text}"
