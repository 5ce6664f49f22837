"""The customer portal's tables: who may sign in, the links and sessions that let them, what they did
there, and the resources CS chooses for them.

A contact reaches the portal only when CS invited them (PortalAccess) and the portal is on for their
account's tier (PortalSettings). Sign-in links and sessions store only the SHA-256 of their token;
the raw token lives in the e-mail or the browser's cookie alone.
"""

from __future__ import annotations

from django.db import models

from retain.accounts.models import Account, Contact
from retain.portal.choices import ActivityKind, ResourceKind
from retain.tenancy.models import Member, Workspace


class PortalSettings(models.Model):
    """The workspace's portal switch: the tiers whose contacts may use it (none until CS turns it on)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="portal_settings")
    tiers = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Portal settings of {self.workspace_id}"


class PortalAccess(models.Model):
    """A contact CS invited to the portal; revoking it ends their sessions and links."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="portal_access")
    invited_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    invited_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "account"])]

    def __str__(self) -> str:
        return f"Portal access of {self.contact_id}"


class SignInLink(models.Model):
    """A one-time sign-in link e-mailed to a contact: it expires, and works once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Who asked: an invitation by a member, or the contact on the sign-in page (from this address).
    invited_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_from = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Sign-in link for {self.contact_id}"


class PortalSession(models.Model):
    """A signed-in browser: its cookie holds the raw key. Separate from members' Django sessions."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    access = models.ForeignKey(PortalAccess, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Portal session of {self.contact_id}"


class PortalActivity(models.Model):
    """One sign-in, tick or question in the portal: what the engagement measures count."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    at = models.DateTimeField()
    summary = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "account", "at"])]

    def __str__(self) -> str:
        return self.summary


class Resource(models.Model):
    """A link CS offers customers in the portal, for some lifecycle stages and editions.

    An empty `stages` or `editions` list means every stage or edition. `refreshed_on` is the day CS
    last checked the content behind the link, shown beside it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=16, choices=ResourceKind.choices)
    stages = models.JSONField(default=list, blank=True)
    editions = models.JSONField(default=list, blank=True)
    refreshed_on = models.DateField()
    updated_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "title", "id"]

    def __str__(self) -> str:
        return self.title
