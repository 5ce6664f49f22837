"""Reads for messaging, always within one workspace."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage, Suppression
from retain.tenancy.models import Workspace


def messages(workspace: Workspace, *, status: str = "", channel: str = "") -> QuerySet[OutboundMessage]:
    """The outbound log, newest first."""
    rows = OutboundMessage.objects.filter(workspace=workspace).select_related("account", "contact")
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    return rows.order_by("-created_at", "-id")


def status_counts(workspace: Workspace) -> dict[str, int]:
    """How many messages are in each status (every status present, zero when none)."""
    counts = dict(
        OutboundMessage.objects.filter(workspace=workspace)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in DeliveryStatus.values}


def suppressions(workspace: Workspace, *, search: str = "") -> QuerySet[Suppression]:
    rows = Suppression.objects.filter(workspace=workspace)
    if search:
        rows = rows.filter(email__icontains=search.strip().lower())
    return rows.order_by("-created_at", "-id")
