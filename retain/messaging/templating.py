"""Message templates written by CS teams: playbook e-mails, Slack texts and webhook payloads.

They use the Django template language on a separate engine of its own: plain text (no HTML
escaping, so an apostrophe in a company name stays one), only the built-in tags and filters (no
app's template tags, no loaders, so no `{% include %}` of files on the server), and an unknown
variable renders as nothing rather than failing the send of a message that was validated at save.
"""

from __future__ import annotations

from typing import Any

from django.template import Context, Engine, TemplateSyntaxError

_ENGINE = Engine(
    autoescape=False,
    loaders=[],
    libraries={},
    builtins=[],
    string_if_invalid="",
    debug=False,
)

# Tags that reach outside the message: files on the server, or other template libraries.
_FORBIDDEN_TAGS = ("include", "extends", "load", "ssi", "debug", "csrf_token", "url", "static")


def _check_tags(template: str) -> None:
    from django.template.base import Lexer, TokenType

    for token in Lexer(template).tokenize():
        if token.token_type is TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in _FORBIDDEN_TAGS:
                raise ValueError(f"line {token.lineno}: the {{% {name} %}} tag is not allowed in a message template")


def validate_template(template: str) -> None:
    """Raise ValueError saying what is wrong (and on which line) when the template cannot render."""
    _check_tags(template)
    try:
        _ENGINE.from_string(template)
    except TemplateSyntaxError as exc:
        raise ValueError(f"template error: {exc}") from None


def render_text(template: str, context: dict[str, Any]) -> str:
    """The template rendered with `context` (account, contact, owner, workspace, and any extras)."""
    validate_template(template)
    return _ENGINE.from_string(template).render(Context(context, autoescape=False))
