"""The secrets in survey e-mails.

An answer link carries a random token of which only the SHA-256 is stored on its invitation: the
link stops working when the invitation expires or is revoked (the row says so), and a leaked
database does not reveal working links. An unsubscribe link is the contact's id signed with the
secret key under its own salt: it needs no row, and keeps working in an old e-mail for good.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core import signing

UNSUBSCRIBE_SALT = "retain.surveys.unsubscribe"


def new_answer_token() -> tuple[str, str]:
    """A fresh (raw token, stored hash) pair; the raw token goes into the e-mail only."""
    raw = secrets.token_urlsafe(24)
    return raw, hash_answer_token(raw)


def hash_answer_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def unsubscribe_token(contact_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(contact_id))


def unsubscribe_contact_id(token: str) -> int | None:
    """The contact an unsubscribe token names, or None when it is not one we signed."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
