"""Reading inbound questions, always within one workspace."""

from __future__ import annotations

from django.db.models import QuerySet

from retain.routing.models import InboundMessage
from retain.tenancy.models import Workspace


def workspace_inbound(workspace: Workspace) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(workspace=workspace).select_related("account", "contact")


def unmatched_inbound(workspace: Workspace) -> QuerySet[InboundMessage]:
    """Questions whose sender matched no contact and no account domain."""
    return workspace_inbound(workspace).filter(account__isnull=True)
