"""The secrets in outbound messages.

An unsubscribe link is the contact's id signed with the secret key: it needs no row and keeps
working in an old e-mail for good. The salt is the one survey e-mails have always used, so every
unsubscribe link ever sent, from a survey or a playbook, still works.

A webhook carries `Retain-Signature: t=<unix time>,v1=<hex>`, where hex is
HMAC-SHA256(workspace signing secret, "<unix time>.<request body>"). The receiver recomputes it
with the secret shown on the workspace's Messages page, compares in constant time, and rejects
an old `t` to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac

from django.core import signing
from django.utils.crypto import salted_hmac

from retain.lib.columns import parse_whole

UNSUBSCRIBE_SALT = "retain.surveys.unsubscribe"
WEBHOOK_SECRET_SALT = "retain.messaging.webhook-secret"


def unsubscribe_token(contact_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(contact_id))


def unsubscribe_contact_id(token: str) -> int | None:
    """The contact an unsubscribe token names, or None when it is not one we signed."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return parse_whole(value)


def webhook_secret(workspace_id: int) -> str:
    """The workspace's webhook signing secret: derived from the secret key, so nothing is stored."""
    return "whsec_" + salted_hmac(WEBHOOK_SECRET_SALT, str(workspace_id), algorithm="sha256").hexdigest()


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
