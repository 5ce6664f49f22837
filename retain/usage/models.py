from __future__ import annotations

from django.db import models
from django.db.models import Q

from retain.accounts.models import Account, Contact
from retain.tenancy.models import Member, Workspace, WriteKey


class UsageEvent(models.Model):
    """One call received from the product (track, page, screen, identify, group), stored as sent.

    `group_id` is the account's external id as the product knows it. `account` is resolved at
    ingest (from the group id, else the user's group call) and filled in later for events that
    arrived before their account was known, so a user's first steps count once a group call names
    their company. Written by a raw INSERT on the ingest hot path (usage/store.py), so its columns
    are part of that contract.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    message_id = models.CharField(max_length=200)
    type = models.CharField(max_length=10)
    name = models.CharField(max_length=200, blank=True)
    user_id = models.CharField(max_length=200, blank=True)
    anonymous_id = models.CharField(max_length=200, blank=True)
    group_id = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    properties = models.JSONField(default=dict)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    write_key = models.ForeignKey(WriteKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        db_table = "usage_event"
        constraints = [models.UniqueConstraint(fields=["workspace", "message_id"], name="usage_event_unique_message")]
        indexes = [
            models.Index(fields=["workspace", "timestamp"], name="usage_event_ws_time"),
            models.Index(fields=["account", "timestamp"], name="usage_event_account_time"),
            # Events waiting for their account (a group call not seen yet) are found through these.
            models.Index(
                fields=["workspace", "group_id"], condition=Q(account__isnull=True), name="usage_event_orphan_group"
            ),
            models.Index(
                fields=["workspace", "user_id"], condition=Q(account__isnull=True), name="usage_event_orphan_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.name} by {self.user_id or self.anonymous_id}"


class UsageUser(models.Model):
    """A person using the product, as identified by it; attached to an account by a group call."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user_id = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    traits = models.JSONField(default=dict, blank=True)
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="users")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # The groupId of a held group call that named this user (an UnmatchedGroup): linking or creating
    # that group attaches the user to its account.
    held_group_id = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user_id"], name="usage_user_unique")]

    def __str__(self) -> str:
        return self.email or self.user_id


class UnmatchedGroup(models.Model):
    """A groupId that product-usage group calls named but no account has, held for an admin when the
    workspace holds unknown groups (Workspace.unknown_groups): a new customer the CRM has not sent
    yet, or a typo in the sender. Its events are stored without an account until an admin links the
    groupId to an existing account or creates one for it; from then on `account` is where the
    groupId's calls and events go.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    group_id = models.CharField(max_length=200)
    traits = models.JSONField(default=dict, blank=True)  # the latest group call's
    calls = models.PositiveIntegerField(default=0)  # group calls naming it
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "group_id"], name="unmatched_group_unique"),
        ]
        ordering = ["-last_seen_at", "id"]

    def __str__(self) -> str:
        return self.group_id


class IngestRejection(models.Model):
    """An event refused by the ingest API, kept with its reason so the sender can fix it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    write_key = models.ForeignKey(WriteKey, on_delete=models.CASCADE, related_name="rejections")
    received_at = models.DateTimeField()
    message_id = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300)
    excerpt = models.TextField(blank=True)
    # How many refused events the row stands for: past the first few of a request, one row counts
    # the rest (its reason and excerpt are the first of them).
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["write_key", "-received_at"]), models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return self.reason


class DailyAccountUsage(models.Model):
    """One account's product usage on one calendar day (workspace time zone), folded from events."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="daily_usage")
    day = models.DateField()
    events = models.PositiveIntegerField(default=0)
    active_users = models.PositiveIntegerField(default=0)
    logins = models.PositiveIntegerField(default=0)
    tickets_created = models.PositiveIntegerField(default=0)
    tickets_escalated = models.PositiveIntegerField(default=0)
    tickets_solved = models.PositiveIntegerField(default=0)
    # Milestone evidence seen that day: {"Blog Migrated": 1, ...}.
    key_events = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="daily_account_usage_unique")]
        indexes = [models.Index(fields=["workspace", "day"])]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.day}: {self.events} events"


class DailyUserUsage(models.Model):
    """One user's activity for one account on one day; active users are counted from these rows."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user_id = models.CharField(max_length=200)
    day = models.DateField()
    events = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user_id", "day"], name="daily_user_usage_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}: {self.events} events"


class DailyFeatureUsage(models.Model):
    """How often an account used one feature on one day: breadth of adoption comes from these."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    feature = models.CharField(max_length=200)
    day = models.DateField()
    events = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "feature", "day"], name="daily_feature_usage_unique")]

    def __str__(self) -> str:
        return f"{self.feature} on {self.day}: {self.events} events"


class RollupState(models.Model):
    """How far a workspace's events have been folded into the daily rollups (the last event id)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rollups up to event {self.last_event_id}"


class RollupDirty(models.Model):
    """An account whose events were attributed after the fact: its rollups are rebuilt from raw."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"account {self.account_id} to recompute"
