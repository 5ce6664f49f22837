"""Sender name patterns: only {csm} and {workspace}, rendered into a header the standard library writes."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

import pytest

from retain.lib.senders import DEFAULT_SENDER_NAME, from_header, sender_name, sender_name_error


def test_the_default_pattern_reads_the_csm_at_the_workspace() -> None:
    assert sender_name(DEFAULT_SENDER_NAME, csm="Sasha Petrova", workspace="Acme") == "Sasha Petrova at Acme"


def test_without_a_csm_the_mail_is_from_the_workspace_alone() -> None:
    assert sender_name("{csm} at {workspace}", csm="", workspace="Acme") == "Acme"
    assert sender_name("{workspace} Customer Success", csm="", workspace="Acme") == "Acme Customer Success"


def test_a_literal_brace_is_doubled() -> None:
    assert sender_name_error("{{csm}} {workspace}") == ""
    assert sender_name("{{csm}} {workspace}", csm="", workspace="Acme") == "{csm} Acme"


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("{owner} at {workspace}", "may only use {csm} and {workspace}, not {owner}"),
        ("{csm.user.password}", "may only use {csm} and {workspace}, not {csm.user.password}"),
        ("{csm[0]}", "may only use {csm} and {workspace}"),
        ("{csm!r}", "may only use {csm} and {workspace}"),
        ("{csm:>300}", "may only use {csm} and {workspace}"),
        ("{}", "may only use {csm} and {workspace}"),
        ("{csm", "is not a valid pattern"),
        ("Acme}", "is not a valid pattern"),
        ("Acme\nBcc: x@example.com", "must be one line"),
    ],
)
def test_a_pattern_is_refused_saying_why(pattern: str, error: str) -> None:
    assert error in sender_name_error(pattern)


def test_the_name_is_one_line_of_at_most_100_characters() -> None:
    assert sender_name("{csm} at {workspace}", csm="A" * 90, workspace="Acme Customer Success") == (
        "A" * 90 + " at Acme C"
    )
    assert sender_name("{csm}", csm="Sasha\r\nBcc: x@example.com", workspace="Acme") == "Sasha Bcc: x@example.com"


@pytest.mark.parametrize("name", ["Sasha Petrova at Acme", 'Pat O\'Brien, "Acme" <CS>', "Saša Petrović at Ačme"])
def test_the_header_carries_the_name_and_address_exactly(name: str) -> None:
    message = EmailMessage()
    message["From"] = from_header(name, "cs@acme.example")
    [parsed] = message["From"].addresses
    assert parsed == Address(display_name=name, addr_spec="cs@acme.example")
