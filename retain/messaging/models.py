from __future__ import annotations

from django.db import models
from django.db.models import Q

from retain.accounts.models import Account, Contact
from retain.messaging.choices import Channel, DeliveryStatus, SuppressionReason
from retain.tenancy.models import Member, Workspace


class OutboundMessage(models.Model):
    """One e-mail, Slack post or webhook call we owe someone, delivered at least once.

    The row is written in the transaction that decides to send; a minutely sweep claims the rows
    that are due (`next_attempt_at`) and sends them. The idempotency key makes a second decision
    about the same thing return this row instead of a second message, and travels with every
    attempt (as the Message-ID or the Idempotency-Key header) so a receiver can drop a repeat.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="outbound_messages")
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # An e-mail to one of the workspace's own members (a digest, a notice) rather than to a contact:
    # no unsubscribe link, and no account timeline entry when it is sent.
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=2000, help_text="An e-mail address or the URL posted to.")
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    # An e-mail's HTML alternative to `body`, when it has one (a survey invitation's score buttons).
    html_body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200)
    message_id = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    # Why a message was not sent at all (suppressed), in words the Messages page shows.
    status_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The due column: set while the message waits for a (first or next) attempt, null once final.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # What decided to send it: "playbook:<key>/enrollment:<id>", "manual", ...
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "idempotency_key"], name="outbound_unique_idempotency_key")
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(next_attempt_at__isnull=False), name="outbound_due"),
            models.Index(fields=["workspace", "-created_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to} ({self.get_status_display()})"


class Suppression(models.Model):
    """An address this workspace never e-mails again: unsubscribed, bounced, complained, or by hand.

    Kept by address rather than by contact so it outlives the contact row and also covers an
    address that comes back in a later import.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="suppressions")
    email = models.EmailField()
    reason = models.CharField(max_length=16, choices=SuppressionReason.choices)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "email"], name="suppression_unique_email")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"
