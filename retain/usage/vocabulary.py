"""The canonical usage vocabulary (DESIGN.md): which track events are logins, tickets, milestone
evidence, and which are feature uses. Pure: the rollups and later the health measures read it."""

from __future__ import annotations

from typing import Any

LOGIN = "Signed In"
TICKET_CREATED = "Ticket Created"
TICKET_ESCALATED = "Ticket Escalated"
TICKET_SOLVED = "Ticket Solved"
TICKET_EVENTS = {
    TICKET_CREATED: "tickets_created",
    TICKET_ESCALATED: "tickets_escalated",
    TICKET_SOLVED: "tickets_solved",
}

# Seed 002's critical path: the events that show a milestone was reached.
KEY_EVENTS = (
    "Blog Migrated",
    "CRM Integrated",
    "Tracking Code Installed",
    "Lead Created",
    "Workflow Activated",
    "Blog Post Published",
    "Attribution Report Built",
    "Email Campaign Sent",
    "Lead Nurture Activated",
    "Social Monitoring Enabled",
)
_KEY_EVENTS = set(KEY_EVENTS)

# Measured milestones (journeys.measured) count visitors, leads and sales per day, so the daily rollups
# keep these beside the key events. The demo vendor's vocabulary had no visit or sale event: a tracked
# visit is a `page` call or a `Page Viewed` track event, a sale is `Lead Converted` (or a CRM import of
# won deals sending it). They stay feature uses / activity as before; only their daily count is kept.
PAGE_VIEWED = "Page Viewed"
LEAD_CREATED = "Lead Created"
LEAD_CONVERTED = "Lead Converted"
MEASURED_EVENTS = (PAGE_VIEWED, LEAD_CREATED, LEAD_CONVERTED)
_KEPT_EVENTS = _KEY_EVENTS | set(MEASURED_EVENTS)
MAX_FEATURE_CHARS = 200


def feature_of(call_type: str, name: str, properties: dict[str, Any]) -> str | None:
    """The feature a track event uses, or None when it is a login, a ticket or milestone evidence.

    `properties.feature` names the feature when present, else the event name does.
    """
    if call_type != "track" or name == LOGIN or name in TICKET_EVENTS or name in _KEY_EVENTS:
        return None
    feature = properties.get("feature")
    if isinstance(feature, str) and feature.strip():
        return feature.strip()[:MAX_FEATURE_CHARS]
    return name[:MAX_FEATURE_CHARS]


def is_key_event(call_type: str, name: str) -> bool:
    return call_type == "track" and name in _KEY_EVENTS


def kept_event(call_type: str, name: str) -> str | None:
    """The name a call's daily count is kept under in the rollups' key events, or None."""
    if call_type == "page":
        return PAGE_VIEWED
    if call_type == "track" and name in _KEPT_EVENTS:
        return name
    return None


def is_activity(call_type: str) -> bool:
    """Calls that show a person used the product that day (identify and group do not)."""
    return call_type in ("track", "page", "screen")
