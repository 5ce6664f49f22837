"""Inbound questions, the decision that sent each to a desk, and the corrections people made."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from retain.accounts.models import Account, Contact
from retain.lib.sealed import SealedCharField
from retain.routing.categories import label_of
from retain.routing.choices import DecidedBy, Desk, Source
from retain.tenancy.models import Member, Workspace


class InboundMessage(models.Model):
    """One question from a customer: where it came from, who sent it, and where it was routed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbound_messages")
    source = models.CharField(max_length=16, choices=Source.choices)
    # The source's own id (e-mail Message-ID, ticket id, Slack event id): the same message twice is one row.
    source_message_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=255, blank=True, help_text="The sender's address or name as given.")
    sender_email = models.EmailField(blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_messages"
    )
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField()
    received_at = models.DateTimeField()
    # The decision: a rule, the model (with its confidence) or triage; later a person's correction.
    desk = models.CharField(max_length=8, choices=Desk.choices, default=Desk.TRIAGE)
    category = models.CharField(max_length=32, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    decided_by = models.CharField(max_length=8, choices=DecidedBy.choices, default=DecidedBy.TRIAGE)
    rule = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    urgent = models.BooleanField(default=False)
    # The desk the router chose first (kept when a person corrects it): triage rate and misroutes.
    first_desk = models.CharField(max_length=8, choices=Desk.choices, blank=True)
    routed_at = models.DateTimeField(null=True, blank=True)
    # What routing did: the CSM's task, the forward to the support tool (kept if either goes).
    task = models.ForeignKey("tasks.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    forwarded = models.ForeignKey(
        "messaging.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "source_message_id"],
                condition=~Q(source_message_id=""),
                name="inbound_unique_source_message",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "desk", "received_at"]),
            models.Index(fields=["workspace", "account"]),
        ]
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.subject or self.text[:60]

    @property
    def category_label(self) -> str:
        return label_of(self.category) if self.category else ""


class Correction(models.Model):
    """A person moved a question to another desk or category: a misroute, and a training label."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="routing_corrections")
    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="corrections")
    from_desk = models.CharField(max_length=8, choices=Desk.choices)
    from_category = models.CharField(max_length=32, blank=True)
    to_desk = models.CharField(max_length=8, choices=Desk.choices)
    to_category = models.CharField(max_length=32, blank=True)
    by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_category or self.from_desk} → {self.to_category or self.to_desk}"


class RoutingSetup(models.Model):
    """A workspace's rules (YAML as the team wrote it) and its own trained model, when it has one."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="routing_setup")
    rules_yaml = models.TextField(blank=True)
    model_file = models.CharField(max_length=255, blank=True, help_text="Under the data directory's routing/.")
    model_rows = models.PositiveIntegerField(default=0)
    model_corrections = models.PositiveIntegerField(default=0)
    model_cv_accuracy = models.FloatField(null=True, blank=True)
    model_trained_at = models.DateTimeField(null=True, blank=True)
    # Where support-desk questions are forwarded: the support tool's webhook (a JSON POST via the outbox).
    support_webhook_url = models.URLField(blank=True)
    # …and/or the support desk's mailbox: an e-mail per question, through the outbox.
    support_email = models.EmailField(blank=True)
    # Secrets the providers give, to check their signatures (blank: that provider is refused where
    # it signs, Mailgun and Slack; Zendesk and Intercom are then checked by the URL token alone).
    # Encrypted at rest (retain.lib.sealed): the column holds a Fernet token, Python code the secret.
    mailgun_signing_key = SealedCharField(max_length=500, blank=True)
    slack_signing_secret = SealedCharField(max_length=500, blank=True)
    zendesk_signing_secret = SealedCharField(max_length=500, blank=True)
    intercom_client_secret = SealedCharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"routing set-up of {self.workspace_id}"


class ChannelLink(models.Model):
    """A Slack channel shared with a customer: its messages belong to this account."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="routing_channels")
    channel_id = models.CharField(max_length=64)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "channel_id"], name="routing_channel_unique")]

    def __str__(self) -> str:
        return f"{self.channel_id} → {self.account_id}"
