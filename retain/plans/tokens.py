"""Shared-link tokens: random, handed out once, stored only as their SHA-256 (as survey links are)."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A fresh (raw token, stored hash) pair; the raw token goes into the link only."""
    raw = secrets.token_urlsafe(24)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
