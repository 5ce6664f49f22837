"""Secrets kept encrypted at rest: a model field that stores Fernet tokens and reads back the text.

Providers' signing secrets (Slack, Mailgun, Zendesk, Intercom) must be readable by Retain to check
a signature, so they cannot be hashed; they are encrypted with a key derived from the Django secret
key (HKDF-SHA256, its own context string, so the key is used for nothing else). Keys derived from
SECRET_KEY_FALLBACKS still decrypt, so a secret key can be rotated: save the secrets again under
the new key, then drop the old one from the fallbacks.

A stored value is "sealed:" followed by the token; a value that cannot be decrypted is an error, not
an empty secret, so a wrong key is noticed rather than quietly refusing every webhook.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "sealed:"
CONTEXT = b"retain sealed secrets v1"


class SealedError(ValueError):
    """A stored secret could not be decrypted with the secret key or its fallbacks."""


def _key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def _box() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_key(secret)) for secret in secrets])


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(text: str) -> str:
    """The text encrypted under the current secret key ('' stays '': nothing to hide)."""
    if not text:
        return ""
    return PREFIX + _box().encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    if not stored:
        return ""
    if not is_sealed(stored):
        raise SealedError("the stored secret is not sealed (run the migrations that encrypt it)")
    try:
        return _box().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SealedError("the stored secret cannot be decrypted with this secret key") from None


class SealedCharField(models.CharField):  # type: ignore[type-arg]  # django-stubs' CharField is generic
    """A CharField whose column holds `seal(text)`; Python code sees the plain text."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else unseal(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return seal(value) if isinstance(value, str) else value
