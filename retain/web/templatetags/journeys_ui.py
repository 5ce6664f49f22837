"""The account page's journey panel: checklist items with their ticks, and the choices its forms offer."""

from __future__ import annotations

from typing import Any

from django import template

from retain.accounts.choices import ContactStatus, Stage
from retain.accounts.models import Account
from retain.journeys.choices import BarrierKind, MilestoneKind
from retain.journeys.measured import measure_attr
from retain.journeys.models import Journey, MilestoneProgress
from retain.journeys.selectors import journey_effort
from retain.lib.conditions import parse
from retain.web.forms import owner_candidates

register = template.Library()


@register.simple_tag
def milestone_items(journey: Journey, progress: MilestoneProgress) -> list[dict[str, Any]] | None:
    """A checklist milestone's items as [{"text", "tick": {"on", "by"} or None}]; None for a data milestone."""
    milestone = next((m for m in journey.template.milestones if m["key"] == progress.key), None)
    if milestone is None or milestone["kind"] != MilestoneKind.CHECKLIST:
        return None
    return [{"text": text, "tick": progress.ticks.get(text)} for text in milestone["items"]]


@register.simple_tag
def milestone_measures(journey: Journey, progress: MilestoneProgress) -> dict[str, Any] | None:
    """A measured milestone's latest readings ("leads +12%: …", or why a measure has none yet) and, when
    it reads a goal, the level of effort spent since the journey started; None for other milestones."""
    milestone = next((m for m in journey.template.milestones if m["key"] == progress.key), None)
    if milestone is None or milestone["kind"] != MilestoneKind.DATA:
        return None
    forms = {parsed[1] for attr in parse(milestone["criteria"]).attrs() if (parsed := measure_attr(attr))}
    if not forms:
        return None
    readings = (progress.measured or {}).get("readings") or {}
    return {
        "readings": [] if progress.completed_on else [r["words"] for r in readings.values()],
        "effort": journey_effort(journey, until=progress.completed_on) if "goal_pct" in forms else None,
    }


@register.simple_tag
def journey_panel_choices(account: Account) -> dict[str, Any]:
    """Who may own a barrier (a member who can own accounts, or one of the account's active contacts),
    the barrier kinds and the lifecycle stages (two queries, run only for members who may edit)."""
    return {
        "members": list(owner_candidates(account.workspace)),
        "contacts": list(account.contacts.filter(status=ContactStatus.ACTIVE).order_by("last_name", "first_name")),
        "barrier_kinds": BarrierKind.choices,
        "stages": Stage.choices,
    }
