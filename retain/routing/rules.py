"""The team's routing rules: YAML, checked field by field with line:column, applied before the classifier.

    rules:
      - name: Passwords and log-in go to support
        when:
          mentions: [password, log in, login, reset]      # subject or body, any of these words
        route: {desk: support, category: password_access}
      - name: The executive sponsor goes to the CSM
        when:
          sender_role: executive_sponsor                   # the matched contact's role
        route: {desk: csm}
      - name: Strategic renewals are urgent for the CSM
        when:
          tier: strategic                                   # the matched account's tier
          mentions: [renewal, renew]
        route: {desk: csm, category: renewal, urgent: true}

A rule matches when every condition under `when` holds (a list means any of its values). The first
matching rule wins over the classifier; a rule without a category leaves the category to the
classifier, but not the desk. Pure: the caller passes what it knows about the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from retain.lib import definitions
from retain.routing.categories import CATEGORIES, CSM, SUPPORT

ROLES = ("champion", "executive_sponsor", "decision_maker", "admin", "user")
TIERS = ("community", "enterprise", "strategic")
SOURCES = ("email", "zendesk", "intercom", "slack", "api", "form", "webhook")
_RULE_KEYS = ("name", "when", "route")
_WHEN_KEYS = ("mentions", "sender_role", "tier", "source", "sender_domain")
_ROUTE_KEYS = ("desk", "category", "urgent")


@dataclass(frozen=True)
class Rule:
    name: str
    mentions: tuple[str, ...]
    sender_roles: tuple[str, ...]
    tiers: tuple[str, ...]
    sources: tuple[str, ...]
    sender_domains: tuple[str, ...]
    desk: str
    category: str
    urgent: bool

    def matches(self, facts: Facts) -> bool:
        if self.mentions and not any(_mentions(facts.text, word) for word in self.mentions):
            return False
        if self.sender_roles and facts.sender_role not in self.sender_roles:
            return False
        if self.tiers and facts.tier not in self.tiers:
            return False
        if self.sources and facts.source not in self.sources:
            return False
        return not (self.sender_domains and facts.sender_domain not in self.sender_domains)


@dataclass(frozen=True)
class Facts:
    """What a rule may look at: the subject and body together, the sender's role, the account's tier."""

    text: str
    sender_role: str = ""
    tier: str = ""
    source: str = ""
    sender_domain: str = ""


def _mentions(text: str, word: str) -> bool:
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, word.lower().split())) + r"(?!\w)"
    return re.search(pattern, text.lower()) is not None


def _words(check: definitions.Checker, data: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    where = definitions.join(path, key)
    if not items:
        check.error(where, "must be a non-empty list")
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            check.error(definitions.join(where, index), "must be a text")
            return ()
    return tuple(item.strip() for item in items)


def clean(data: Any, check: definitions.Checker) -> list[Rule]:
    top = check.mapping(data, "", ("rules",))
    if top is None:
        return []
    rules: list[Rule] = []
    names: dict[str, int] = {}
    for index, raw in enumerate(check.items(top.get("rules"), "rules", of="rules")):
        path = definitions.join("rules", index)
        item = check.mapping(raw, path, _RULE_KEYS)
        if item is None:
            continue
        name = check.text(item, "name", path) or ""
        if name and name in names:
            check.error(definitions.join(path, "name"), f"appears twice (first as rules[{names[name]}])")
        names.setdefault(name, index)
        when_path = definitions.join(path, "when")
        when = check.mapping(item.get("when"), when_path, _WHEN_KEYS) if "when" in item else None
        if "when" not in item:
            check.error(when_path, "is required")
        when = when or {}
        if "when" in item and not any(when.get(key) for key in _WHEN_KEYS) and not check.failed(when_path):
            check.error(when_path, f"needs at least one of {', '.join(_WHEN_KEYS)}")
        route_path = definitions.join(path, "route")
        route = check.mapping(item.get("route"), route_path, _ROUTE_KEYS) or {}
        desk = check.choice(route, "desk", route_path, (SUPPORT, CSM), required=True) or ""
        category = check.choice(route, "category", route_path, tuple(CATEGORIES)) or ""
        if desk and category and CATEGORIES[category][0] != desk:
            check.error(
                definitions.join(route_path, "category"), f"{category!r} belongs to the {CATEGORIES[category][0]} desk"
            )
        rules.append(
            Rule(
                name=name,
                mentions=_words(check, when, "mentions", when_path),
                sender_roles=tuple(check.choices(when, "sender_role", when_path, ROLES)),
                tiers=tuple(check.choices(when, "tier", when_path, TIERS)),
                sources=tuple(check.choices(when, "source", when_path, SOURCES)),
                sender_domains=tuple(word.lower() for word in _words(check, when, "sender_domain", when_path)),
                desk=desk,
                category=category,
                urgent=check.boolean(route, "urgent", route_path),
            )
        )
    return rules


def parse(text: str, *, source: str = "rules.yaml") -> list[Rule]:
    """Rules from YAML text; DefinitionError (line:column for each problem) when anything is wrong."""
    if not text.strip():
        return []
    document = definitions.load(text, source=source)
    check = definitions.Checker()
    rules = clean(document.data, check)
    check.raise_if_any(source, document)
    return rules


def first_match(rules: Sequence[Rule], facts: Facts) -> Rule | None:
    return next((rule for rule in rules if rule.matches(facts)), None)


DEFAULT_RULES = """\
# Rules win over the classifier; the first rule that matches decides.
rules:
  - name: Passwords and log-in go to support
    when:
      mentions: [password, log in, login, sign in, reset my, 2fa, two-factor]
    route: {desk: support, category: password_access}
  - name: Strategic renewals are urgent for the CSM
    when:
      tier: strategic
      mentions: [renewal, renew, contract]
    route: {desk: csm, category: renewal, urgent: true}
  - name: The executive sponsor goes to the CSM
    when:
      sender_role: executive_sponsor
    route: {desk: csm}
"""
