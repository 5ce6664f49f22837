"""Reads for messaging, always within one workspace."""

from __future__ import annotations

from collections.abc import Callable

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


# What members read of a message's body (the API, the Messages page). A message may carry something
# meant for its recipient alone: a portal sign-in e-mail's one-time link would let whoever reads the
# outbox in as the customer while it waits to be sent. The app that writes such messages registers a
# redactor for its source kind ("portal" for "portal:sign-in:<id>"); the transport still sends the
# stored body intact.
BodyRedactor = Callable[[str], str]

_REDACTORS: dict[str, BodyRedactor] = {}


def body_redactor_register(source_kind: str, redactor: BodyRedactor) -> None:
    _REDACTORS[source_kind] = redactor


def body_for_members(message: OutboundMessage) -> str:
    """The body as a member may see it: with what its source kind's redactor takes out."""
    redactor = _REDACTORS.get(message.source.split(":", 1)[0]) if ":" in message.source else None
    return redactor(message.body) if redactor is not None else message.body
