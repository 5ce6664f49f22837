"""Tokens in links handed out once: random, stored only as their SHA-256.

A survey answer link and a success plan's shared link carry one. Only the hash is stored on the
row (the invitation, the shared link), so the row does not reveal a working link, and the link
stops working when its row expires or is revoked.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh (raw token, stored hash) pair; the raw token goes into the link only."""
    raw = secrets.token_urlsafe(24)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
