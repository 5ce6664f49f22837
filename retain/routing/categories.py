"""The categories of inbound question (seed 003) and the desk each belongs to.

Support answers software questions: how to do something, passwords and access, adding and removing
users, bugs and outages. The customer success manager takes feature requests, capability questions,
complaints and commercial questions (pricing, renewal, upgrade, cancellation). "Don't make CSMs do
support": a support-type question that reaches the CSM desk is CSM time spent on support.
"""

from __future__ import annotations

from pathlib import Path

SUPPORT = "support"
CSM = "csm"
TRIAGE = "triage"
DESKS = {SUPPORT: "Support", CSM: "Customer success", TRIAGE: "Triage"}

# category → (desk, label); in the order pages list them
CATEGORIES: dict[str, tuple[str, str]] = {
    "how_to": (SUPPORT, "How-to"),
    "password_access": (SUPPORT, "Password and access"),
    "user_admin": (SUPPORT, "User administration"),
    "bug_outage": (SUPPORT, "Bug or outage"),
    "feature_request": (CSM, "Feature request"),
    "capability_question": (CSM, "Capability question"),
    "complaint": (CSM, "Complaint"),
    "pricing": (CSM, "Pricing"),
    "renewal": (CSM, "Renewal"),
    "upgrade": (CSM, "Upgrade"),
    "cancellation": (CSM, "Cancellation"),
}
URGENT = frozenset({"complaint", "cancellation"})

STARTER = Path(__file__).resolve().parent / "starter"
STARTER_TRAIN = STARTER / "train.csv"
STARTER_HOLDOUT = STARTER / "holdout.csv"


def desk_of(category: str) -> str:
    """The desk of a category; an unknown or empty category is triage."""
    found = CATEGORIES.get(category)
    return found[0] if found else TRIAGE


def label_of(category: str) -> str:
    found = CATEGORIES.get(category)
    return found[1] if found else "Unsure"
