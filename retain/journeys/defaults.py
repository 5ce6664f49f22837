"""The templates every workspace starts with: seed 002's critical path, and a lighter community path.

Data milestones are written against the demo vocabulary (retain.usage.vocabulary.KEY_EVENTS); the
"initial value" milestone is the one whose completion moves an account from onboarding to adoption.
"""

from __future__ import annotations

from typing import Any

INITIAL_VALUE = "initial-value"


def _seen(*names: str) -> dict[str, Any]:
    return {"and": [{"attr": f"events.{name}.seen", "op": "eq", "value": True} for name in names]}


_LEADS_FLOWING = {"attr": "events.Lead Created.count_14d", "op": "gte", "value": 5}
# Seed 002's "Progress": a % increase measured against the account's own first month.
_LEADS_UP = {"attr": "measures.leads_28d.growth_pct", "op": "gte", "value": 20}
_MONTH_OF_STATS = {"attr": "usage.active_days_30d", "op": "gte", "value": 20}
# Seed 002's "Achievement" (weeks 12-52) is the % of the lead goal and of the new-sales goal achieved. The
# seed gives no bar; the plan's goals are the year's, so half of each by the middle of the year is on pace
# (its barrier, "missed quarterly lead goal", is the same pace read a quarter at a time).
ACHIEVEMENT = "achievement"
ACHIEVEMENT_WEEK = 26
ACHIEVEMENT_GOAL_PCT = 50
_ACHIEVED = {
    "and": [
        {"attr": "measures.leads_to_date.goal_pct", "op": "gte", "value": ACHIEVEMENT_GOAL_PCT},
        {"attr": "measures.sales_to_date.goal_pct", "op": "gte", "value": ACHIEVEMENT_GOAL_PCT},
    ]
}

CRITICAL_PATH: dict[str, Any] = {
    "key": "critical-path",
    "name": "Critical path",
    "applies_to": {"tier": ["enterprise", "strategic"]},
    "priority": 10,
    "milestones": [
        {
            "key": "technical-setup",
            "name": "Technical set-up",
            "target_week": 1,
            "kind": "data",
            "criteria": _seen("Blog Migrated", "CRM Integrated", "Tracking Code Installed"),
        },
        {
            "key": "oriented",
            "name": "Oriented",
            "target_week": 2,
            "kind": "checklist",
            "items": ["Kick-off call held", "Admins trained", "Goals agreed"],
        },
        {
            "key": "active",
            "name": "Active",
            "target_week": 4,
            "kind": "data",
            "description": "Leads flowing, first workflow live, first post live.",
            "criteria": {"and": [_LEADS_FLOWING, *_seen("Workflow Activated", "Blog Post Published")["and"]]},
        },
        {
            "key": "progress",
            "name": "Progress",
            "target_week": 6,
            "kind": "data",
            "description": "Leads up at least 20% on the account's first 28 days of data (journeys.measured).",
            "criteria": _LEADS_UP,
        },
        {
            "key": INITIAL_VALUE,
            "name": "Initial value",
            "target_week": 8,
            "kind": "data",
            "description": "An attribution report and a month of stats.",
            "criteria": {"and": [*_seen("Attribution Report Built")["and"], _MONTH_OF_STATS]},
        },
        {
            "key": "full-speed",
            "name": "Full speed",
            "target_week": 10,
            "kind": "data",
            "description": "Campaign sent, nurture active, social monitoring active.",
            "criteria": _seen("Email Campaign Sent", "Lead Nurture Activated", "Social Monitoring Enabled"),
        },
        {
            "key": ACHIEVEMENT,
            "name": "Achievement",
            "target_week": ACHIEVEMENT_WEEK,
            "kind": "data",
            "description": (
                "Seed 002's weeks 12 to 52: the share of the year's lead goal and new-sales goal reached. Due half-way "
                f"(week {ACHIEVEMENT_WEEK}): leads to date at least {ACHIEVEMENT_GOAL_PCT}% of the success plan's lead "
                f"goal and new sales to date at least {ACHIEVEMENT_GOAL_PCT}% of its new-sales goal "
                "(journeys.measured); the level of effort it took is shown beside it."
            ),
            "criteria": _ACHIEVED,
        },
        {
            "key": "renewal",
            "name": "Renewal",
            "target_week": 52,
            "kind": "renewal",
            "description": "Completes when the renewal closes as renewed; a churn closes the journey.",
        },
    ],
}

COMMUNITY_PATH: dict[str, Any] = {
    "key": "community-path",
    "name": "Community path",
    "applies_to": {},
    "priority": 90,
    "milestones": [
        {
            "key": "technical-setup",
            "name": "Technical set-up",
            "target_week": 2,
            "kind": "data",
            "criteria": _seen("Tracking Code Installed"),
        },
        {
            "key": "active",
            "name": "Active",
            "target_week": 4,
            "kind": "data",
            "criteria": {"or": [_LEADS_FLOWING, *_seen("Blog Post Published")["and"]]},
        },
        {
            "key": INITIAL_VALUE,
            "name": "Initial value",
            "target_week": 8,
            "kind": "data",
            "criteria": {"and": [*_seen("Email Campaign Sent")["and"], _MONTH_OF_STATS]},
        },
    ],
}

DEFAULT_TEMPLATES = (CRITICAL_PATH, COMMUNITY_PATH)
