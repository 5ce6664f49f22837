"""The text a CSM starts the review's narrative from, written from the customer's sections of the
pack only (pure: no Django), so the generated words can never carry an internal figure."""

from __future__ import annotations

from typing import Any

SECTIONS = ("summary", "wins", "challenges", "recommendations")


def _figures(pack: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in pack["sections"][section].get("figures", [])}


def draft(pack: dict[str, Any]) -> dict[str, str]:
    """Summary, wins, challenges and recommendations in plain sentences, one idea a line."""
    if "internal" in pack:
        raise ValueError("the narrative is drafted from the customer's pack only")
    sections = pack["sections"]
    name, quarter = pack["account"]["name"], pack["period"]["name"]
    adoption, support = _figures(pack, "adoption"), _figures(pack, "support")
    commitments = _figures(pack, "commitments")
    plan = sections["plan"]
    summary = [
        f"{name} in {quarter}: {adoption['active_users']['shown']} active users on {adoption['seats']['shown']} seats."
    ]
    if plan.get("progress"):
        summary.append(f"The success plan stands at {plan['progress']['shown']} of its targets.")
    wins = [f"Milestone reached: {m['name']} ({m['completed_on']})." for m in plan.get("milestones", [])]
    for row in sections["outcomes"]["rows"]:
        if row["value"] and row["value"] > row["last"]:
            wins.append(f"{row['label']}: {row['value']}, up from {row['last']} the quarter before.")
    challenges = []
    if commitments["commitments_overdue"]["value"]:
        challenges.append(f"{commitments['commitments_overdue']['value']} commitments are past their due date.")
    trend = adoption["usage_trend"]["value"]
    if trend is not None and trend < -0.1:
        challenges.append(f"Usage is falling: {adoption['usage_trend']['shown']}.")
    if support["tickets_escalated"]["value"]:
        challenges.append(f"{support['tickets_escalated']['value']} support tickets were escalated.")
    recommendations = [
        f"Start using {rung['feature']}: {rung['share']} of similar accounts do."
        for rung in sections["adoption"]["next_rung"]
    ]
    return {
        "summary": " ".join(summary),
        "wins": "\n".join(wins) or "No milestone reached this quarter.",
        "challenges": "\n".join(challenges) or "Nothing stood in the way this quarter.",
        "recommendations": "\n".join(recommendations) or "Keep the current pace.",
    }
