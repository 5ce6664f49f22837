"""Message templates written by CS teams: playbook e-mails, Slack texts and webhook payloads.

They use the Django template language on a separate engine of its own: plain text (no HTML
escaping, so an apostrophe in a company name stays one), only the built-in filters and a few
harmless tags (no app's template tags, no loaders, so no `{% include %}` of files on the server).

A template sees plain values only, never a model instance: the names in `VALUES` (account name,
tier, ARR, renewal date, contact first name, owner name, links…), built by `message_values`.
With a live instance, `{{ owner.user.password }}` would print a password hash into a mail anyone
with a manager's role can send anywhere, and `{{ workspace.members.all }}` would walk to every
member (and through a member's user to other workspaces). So a template naming anything else is
refused at save with its line and column, and one saved before (or written around the check)
renders that name as nothing: the value is simply not there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Node, NodeList, TemplateSyntaxError
from django.template.base import DebugLexer, FilterExpression, Lexer, TokenType, Variable, VariableNode
from django.template.defaulttags import FirstOfNode, IfNode, TemplateLiteral
from django.template.smartif import TokenBase
from django.urls import reverse

from retain.accounts.models import Account, Contact
from retain.accounts.selectors import next_renewal_on
from retain.tenancy.models import Member

_OPTIONS: dict[str, Any] = {
    "autoescape": False,
    "loaders": [],
    "libraries": {},
    "builtins": [],
    "string_if_invalid": "",
}
_ENGINE = Engine(debug=False, **_OPTIONS)
# The same engine with token positions kept, so a refused name can be pointed at (line:column).
_CHECKING_ENGINE = Engine(debug=True, **_OPTIONS)

# Every value a template can use, with what it is: the editor shows this list.
VALUES: dict[str, str] = {
    "account.name": "the account's name",
    "account.tier": "its tier (Community, Enterprise, Strategic)",
    "account.edition": "its edition (Professional, Enterprise)",
    "account.stage": "its lifecycle stage (Onboarding, Adoption, …)",
    "account.arr": "annual recurring revenue, a whole number in the workspace currency",
    "account.mrr": "monthly recurring revenue, a whole number in the workspace currency",
    "account.currency": "the workspace currency (EUR, USD, …)",
    "account.renewal_date": "the next renewal (term end of an active subscription), YYYY-MM-DD, or empty",
    "account.customer_since": "the day it became a customer, YYYY-MM-DD, or empty",
    "account.domain": "its web domain",
    "account.url": "the link to the account's page in Retain (for Slack and webhooks, not customers)",
    "contact.first_name": "the contact's first name (e-mail only; empty in Slack and webhooks)",
    "contact.last_name": "the contact's last name",
    "contact.name": "the contact's full name",
    "contact.title": "the contact's job title",
    "owner.name": "the account owner's full name (or e-mail address when no name is set)",
    "owner.display_name": "the same as owner.name",
    "owner.first_name": "the account owner's first name",
    "owner.email": "the account owner's e-mail address",
    "workspace.name": "your company's name as set in the workspace",
}
# The groups themselves may be tested (`{% if contact %}`) but not printed.
GROUPS = frozenset(name.split(".")[0] for name in VALUES)

# Tags that reach nothing outside the message text; anything else (include, load, with, for,
# url, …) is refused at save.
_ALLOWED_TAGS = frozenset(
    {
        "if", "elif", "else", "endif", "firstof", "now", "comment", "endcomment", "spaceless", "endspaceless",
        "templatetag", "verbatim", "endverbatim",
    }
)  # fmt: skip
# Never rendered, even from a template saved before the checks: they reach files or other libraries.
_FORBIDDEN_TAGS = frozenset({"include", "extends", "load", "ssi", "debug", "csrf_token", "url", "static"})

Plain = str | int | Decimal | bool | dt.date | None


def _check_forbidden_tags(template: str) -> None:
    for token in Lexer(template).tokenize():
        if token.token_type is TokenType.BLOCK:
            words = token.contents.split()
            name = words[0] if words else ""
            if name in _FORBIDDEN_TAGS:
                raise ValueError(f"line {token.lineno}: the {{% {name} %}} tag is not allowed in a message template")


def _where(template: str, offset: int) -> str:
    line = template.count("\n", 0, offset) + 1
    column = offset - (template.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}:{column}"


def _expressions(node: Node) -> Iterator[tuple[FilterExpression, bool]]:
    """The expressions a node evaluates, each with whether it is printed (True) or only tested."""
    if isinstance(node, VariableNode):
        yield node.filter_expression, True
    elif isinstance(node, FirstOfNode):
        for expression in node.vars:
            yield expression, True
    elif isinstance(node, IfNode):
        for condition, _ in node.conditions_nodelists:
            yield from _condition_expressions(condition)


def _condition_expressions(condition: Any) -> Iterator[tuple[FilterExpression, bool]]:
    if isinstance(condition, TemplateLiteral) and isinstance(condition.value, FilterExpression):
        yield condition.value, False
    elif isinstance(condition, TokenBase):  # an operator: `not`, `and`, `==`, `in`, …
        for side in (getattr(condition, "first", None), getattr(condition, "second", None)):
            if side is not None:
                yield from _condition_expressions(side)


def _names(expression: FilterExpression) -> Iterator[str]:
    """The variable names an expression reads: its value and any filter argument."""
    if isinstance(expression.var, Variable) and expression.var.lookups is not None:
        yield str(expression.var.var)
    for _, arguments in expression.filters:
        for is_lookup, argument in arguments:
            if is_lookup and isinstance(argument, Variable) and argument.lookups is not None:
                yield str(argument.var)


def _walk(nodelist: NodeList) -> Iterator[Node]:
    for node in nodelist:
        yield node
        for attribute in node.child_nodelists:
            child = getattr(node, attribute, None)
            if isinstance(child, NodeList):
                yield from _walk(child)
        if isinstance(node, IfNode):
            for _, branch in node.conditions_nodelists:
                yield from _walk(branch)


def _check_names(template: str) -> None:
    compiled = _CHECKING_ENGINE.from_string(template)
    for node in _walk(compiled.nodelist):
        start = node.token.position[0] if node.token is not None and node.token.position else 0
        for expression, printed in _expressions(node):
            for name in _names(expression):
                if name in VALUES or (name in GROUPS and not printed):
                    continue
                found = template.find(name, start)
                offset = found if found >= 0 else start
                members = [value for value in VALUES if value.startswith(f"{name}.")][:3]
                hint = f"; print one of its values, such as {', '.join(members)}" if name in GROUPS else ""
                raise ValueError(
                    f"{_where(template, offset)}: {name} is not a value message templates can use "
                    f"(see the list of values{hint})"
                )


def _check_tags(template: str) -> None:
    for token in DebugLexer(template).tokenize():
        words = token.contents.split() if token.token_type is TokenType.BLOCK else []
        if words and words[0] not in _ALLOWED_TAGS:
            where = _where(template, token.position[0] if token.position else 0)
            raise ValueError(
                f"{where}: the {{% {words[0]} %}} tag is not allowed in a message "
                "template (allowed: if, elif, else, firstof, now, comment, spaceless, templatetag, verbatim)"
            )


def validate_template(template: str) -> None:
    """Raise ValueError saying what is wrong, at which line:column, when the template may not be saved.

    Broken syntax, a tag other than the harmless few, or a name that is not in `VALUES`.
    """
    _check_forbidden_tags(template)
    _check_tags(template)
    try:
        _check_names(template)
    except TemplateSyntaxError as exc:
        token = getattr(exc, "token", None)
        position = getattr(token, "position", None)
        where = _where(template, position[0]) if position else f"line {getattr(token, 'lineno', 1)}"
        raise ValueError(f"{where}: template error: {exc}") from None


def _check_plain(values: Mapping[str, Any], path: str = "") -> None:
    for key, value in values.items():
        if isinstance(value, Mapping):
            _check_plain(value, f"{path}{key}.")
        elif not isinstance(value, Plain):  # type: ignore[arg-type]  # Plain is a union of types, which isinstance accepts at run time
            # A programming error, not a user's: a model instance must never reach a template.
            raise TypeError(f"{path}{key} is a {type(value).__name__}, not a plain value")


def render_text(template: str, values: Mapping[str, Any]) -> str:
    """The template rendered with plain `values` (see `message_values`); unknown names render as nothing."""
    _check_plain(values)
    _check_forbidden_tags(template)
    try:
        compiled = _ENGINE.from_string(template)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template error: {exc}") from None
    return compiled.render(Context(dict(values), autoescape=False))


# The values --------------------------------------------------------------------------------------


def _whole(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1)))


def _owner_values(owner: Member | None) -> dict[str, Plain] | None:
    if owner is None:
        return None
    name = owner.display_name
    return {
        "name": name,
        "display_name": name,
        "first_name": owner.user.first_name or name,
        "email": owner.user.email,
    }


def account_values(account: Account) -> dict[str, dict[str, Plain] | None]:
    """The account, owner and workspace part of a template's values (one query for the renewal date)."""
    workspace = account.workspace
    renewal = next_renewal_on(account)
    path = reverse("account", args=[workspace.slug, account.pk])
    return {
        "account": {
            "name": account.name,
            "tier": account.get_tier_display(),
            "edition": account.get_edition_display(),
            "stage": account.get_stage_display(),
            "arr": _whole(account.arr),
            "mrr": _whole(account.mrr),
            "currency": workspace.currency,
            "renewal_date": renewal.isoformat() if renewal else "",
            "customer_since": account.customer_since.isoformat() if account.customer_since else "",
            "domain": account.domain,
            "url": f"{settings.SITE_URL}{path}",
        },
        "owner": _owner_values(account.owner),
        "workspace": {"name": workspace.name},
    }


def contact_values(contact: Contact | None) -> dict[str, Plain] | None:
    if contact is None:
        return None
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "name": " ".join(part for part in (contact.first_name, contact.last_name) if part),
        "title": contact.title,
    }


def message_values(
    *, account: Account, contact: Contact | None = None, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every value a message about `account` (to `contact`) may use; `base` is account_values reused."""
    values = dict(base) if base is not None else dict(account_values(account))
    values["contact"] = contact_values(contact)
    return values
