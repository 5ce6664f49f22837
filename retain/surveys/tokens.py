"""The secrets in survey e-mails.

An answer link carries a random token of which only the SHA-256 is stored on its invitation: the
link stops working when the invitation expires or is revoked (the row says so), and the
invitation row does not reveal a working link. The e-mail itself, link included, is kept in the
messaging outbox like every message we send (it must be, to be retried); the Messages page shows
an e-mail's subject, never its body. Unsubscribe links are the same for every e-mail a
contact gets and live in retain.messaging.tokens.
"""

from __future__ import annotations

import hashlib
import secrets

from retain.messaging.tokens import unsubscribe_contact_id, unsubscribe_token

__all__ = ["hash_answer_token", "new_answer_token", "unsubscribe_contact_id", "unsubscribe_token"]


def new_answer_token() -> tuple[str, str]:
    """A fresh (raw token, stored hash) pair; the raw token goes into the e-mail only."""
    raw = secrets.token_urlsafe(24)
    return raw, hash_answer_token(raw)


def hash_answer_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
