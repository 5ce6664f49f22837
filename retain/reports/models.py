"""Business reviews: the quarterly review held with a customer, and the links it is shared by.

A review belongs to one account and one calendar quarter. It is planned, prepared (its pack is
built: a snapshot of the account's figures for the quarter, kept on the row so the same review
shows the same figures until someone refreshes it), held (who came, what was decided, how it went)
and followed up (the accepted next-quarter objectives and commitments are in the success plan).
"""

from __future__ import annotations

from django.db import models

from retain.accounts.models import Account, Contact, Touchpoint
from retain.reports.choices import ReviewStatus, Sentiment
from retain.tenancy.models import Member, Workspace


class BusinessReview(models.Model):
    """A quarterly business review (QBR) of one account for one quarter (seed 001's plan → implement
    → review → update loop, tied to the success plan)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="business_reviews")
    period = models.CharField(max_length=6, help_text='The quarter reviewed, like "2026Q4".')
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED)
    # The day the meeting is (or was) held.
    meeting_on = models.DateField(null=True, blank=True)
    agenda = models.TextField(blank=True)
    attendee_contacts = models.ManyToManyField(Contact, blank=True, related_name="+")
    attendee_members = models.ManyToManyField(Member, blank=True, related_name="+")
    # The pack as prepared: figures with their formulas, period and source (reports.pack).
    pack = models.JSONField(default=dict, blank=True)
    pack_built_at = models.DateTimeField(null=True, blank=True)
    # The CSM's text: summary, wins, challenges, recommendations (generated text to start from).
    narrative = models.JSONField(default=dict, blank=True)
    # Next period's objectives and commitments proposed in the pack and accepted in the review:
    # [{"kind", "text", "side", "owner_contact", "owner_member", "due_on", "accepted"}].
    proposals = models.JSONField(default=list, blank=True)
    # Held: what was decided, what the customer said, how it went.
    decisions = models.TextField(blank=True)
    feedback = models.TextField(blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    held_touchpoint = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Followed up: what each accepted proposal became, by its index ({"0": {"commitment": 12}}),
    # so saving the follow-up again writes nothing twice.
    follow_up = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="business_review_one_per_period")]
        indexes = [models.Index(fields=["workspace", "status"]), models.Index(fields=["workspace", "meeting_on"])]

    def __str__(self) -> str:
        return f"QBR {self.period} of {self.account_id}"


class ReviewLink(models.Model):
    """A read-only link to a review's customer version: only the SHA-256 of its token is stored.

    It stops working when it expires or is revoked (like a success plan's shared link)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(BusinessReview, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Link to review {self.review_id}"
