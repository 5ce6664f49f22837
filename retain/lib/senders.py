"""Who an e-mail is from: a workspace's sender name pattern and address, made into a From header.

The pattern is plain text with two optional placeholders, `{csm}` (the account's CSM) and
`{workspace}` (the workspace's name): "{csm} at {workspace}" gives "Sasha Petrova at Acme".
Decided once here:
- only those two names, with no conversion or format spec ("{csm!r}", "{csm:>20}") and no
  attribute or index ("{csm.user}"), are accepted, so rendering a checked pattern cannot reach
  anything but the two plain strings; `{{` and `}}` are a literal brace;
- a message without a CSM (a notice to a member, an account nobody owns) is from the workspace's
  name alone: a pattern naming `{csm}` with an empty CSM would read " at Acme";
- the name is one line of at most 100 characters after rendering; the header itself is built by
  the standard library, which quotes or encodes the name as RFC 5322 requires.
"""

from __future__ import annotations

from email.utils import formataddr, parseaddr
from string import Formatter

PLACEHOLDERS = ("csm", "workspace")
DEFAULT_SENDER_NAME = "{csm} at {workspace}"
MAX_NAME = 100


def sender_name_error(pattern: str) -> str:
    """Why `pattern` cannot be a sender name pattern, in words; empty when it can."""
    if not pattern.strip():
        return "must not be empty (the default is {csm} at {workspace})"
    if any(char in pattern for char in "\r\n\t"):
        return "must be one line"
    try:
        parts = list(Formatter().parse(pattern))
    except ValueError as exc:
        return f"is not a valid pattern ({exc}); write a literal brace as {{{{ or }}}}"
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            return f"may only use {{csm}} and {{workspace}}, not {{{field}}}"
    return ""


def sender_name(pattern: str, *, csm: str, workspace: str) -> str:
    """The display name for a message; `pattern` must have passed sender_name_error."""
    if not csm and any(field == "csm" for _, field, _, _ in Formatter().parse(pattern)):
        return " ".join(workspace.split())[:MAX_NAME]
    name = pattern.format_map({"csm": csm, "workspace": workspace})
    return " ".join(name.split())[:MAX_NAME]


def from_header(name: str, address: str) -> str:
    """`"Name" <address>` as a header value (quoted or RFC 2047-encoded when it needs to be)."""
    return formataddr((name, address))


def address_of(header: str) -> str:
    """The bare address of a header value such as "Retain <retain@localhost>"."""
    return parseaddr(header)[1]
