"""The top bar's groups: which section and which menu the page being shown belongs to."""

from __future__ import annotations

from django import template

register = template.Library()

# Each section with the URL names (exact, or a prefix ending in "*") whose pages belong to it. The
# first match wins, so the narrower names come before the prefixes that would also take them.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "accounts",
        (
            "accounts",
            "workspace",
            "account*",
            "contact*",
            "subscription*",
            "touchpoint-log",
            "success-plan",
            "business-review*",
        ),
    ),
    ("tasks", ("task*",)),
    ("journeys", ("journey*", "milestone*", "barrier*")),
    ("health", ("health", "scorecard*")),
    ("renewals", ("renewal*",)),
    ("expansion", ("expansion*",)),
    ("segments", ("segment*",)),
    ("revenue", ("revenue", "spend")),
    ("leadership", ("leadership*",)),
    ("risk", ("risk", "risk-csv", "retention")),
    ("books", ("book*",)),
    ("team", ("my-book", "team*")),
    ("playbooks", ("playbook*",)),
    ("messages", ("messages", "message-retry", "suppression*", "bounce-mark")),
    ("surveys", ("survey*",)),
    ("inbound", ("inbound*",)),
    ("imports", ("import*",)),
    (
        "settings",
        (
            "settings",
            "rate-add",
            "data*",
            "workspace-delete",
            "member*",
            "invitation-*",
            "api*",
            "write*",
            "audit*",
            "jobs",
            "warehouse*",
            "unmatched-group*",
            "portal-settings",
            "portal-resource-*",
            "portal-invite",
            "portal-access-*",
        ),
    ),
)
# The menus of the top bar: what a CSM does with customers, the money, outreach, the workspace.
GROUPS = {
    "success": ("journeys", "health", "risk", "playbooks"),
    "revenue": ("renewals", "expansion", "revenue", "leadership", "books", "team"),
    "outreach": ("messages", "surveys", "inbound"),
    "workspace": ("segments", "imports", "settings"),
}


def section_of(url_name: str | None) -> str:
    """The top-bar section a page's URL name belongs to ("" when none does)."""
    if not url_name:
        return ""
    for section, names in SECTIONS:
        for name in names:
            if name == url_name or (name.endswith("*") and url_name.startswith(name[:-1])):
                return section
    return ""


@register.simple_tag(takes_context=True)
def current_section(context: template.Context) -> str:
    match = getattr(context.get("request"), "resolver_match", None)
    return section_of(match.url_name if match else None)


@register.filter
def group_of(section: str) -> str:
    """The menu holding this section ("" for the sections shown on their own)."""
    return next((group for group, sections in GROUPS.items() if section in sections), "")
