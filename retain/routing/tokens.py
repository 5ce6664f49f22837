"""The inbound webhook address of a workspace, and the providers' signatures.

Each workspace receives at /hooks/inbound/<token>/<provider>/, where the token is the workspace id
and an HMAC of it under the secret key (derived, so nothing is stored; like messaging's webhook
secret). Providers that do not sign (Postmark, SendGrid inbound parse, a generic JSON sender) are
trusted by that token alone. Those that sign are checked too:

- Mailgun: `signature` = HMAC-SHA256(webhook signing key, timestamp + token), in the form fields;
- Slack: `X-Slack-Signature: v0=` HMAC-SHA256(signing secret, "v0:<X-Slack-Request-Timestamp>:<body>");
- Zendesk: `X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256(secret, timestamp + body);
- Intercom: `X-Hub-Signature: sha1=` HMAC-SHA1(client secret, body).

A timestamp more than five minutes from now is refused (a replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.utils.crypto import constant_time_compare, salted_hmac

from retain.lib.columns import parse_whole

SALT = "retain.routing.inbound-token"
MAX_AGE_SECONDS = 300


def inbound_token(workspace_id: int) -> str:
    digest = salted_hmac(SALT, str(workspace_id), algorithm="sha256").hexdigest()[:32]
    return f"{workspace_id}-{digest}"


def workspace_of(token: str) -> int | None:
    """The workspace id a token names, or None when it is not one we made."""
    head, _, _ = token.partition("-")
    workspace_id = parse_whole(head)
    if workspace_id is None or not constant_time_compare(inbound_token(workspace_id), token):
        return None
    return workspace_id


def _fresh(timestamp: str, now: float | None = None) -> bool:
    value = parse_whole(timestamp.strip())
    return value is not None and abs((now or time.time()) - value) <= MAX_AGE_SECONDS


def _hex(key: str, message: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(key.encode(), message, getattr(hashlib, algorithm)).hexdigest()


def mailgun_valid(key: str, timestamp: str, token: str, signature: str) -> bool:
    return bool(key) and _fresh(timestamp) and hmac.compare_digest(_hex(key, (timestamp + token).encode()), signature)


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "v0=" + _hex(secret, b"v0:" + timestamp.encode() + b":" + body)


def slack_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return (
        bool(secret) and _fresh(timestamp) and hmac.compare_digest(slack_signature(secret, timestamp, body), signature)
    )


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    raw = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(raw).decode()


def zendesk_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return _fresh(timestamp) and hmac.compare_digest(zendesk_signature(secret, timestamp, body), signature)


def intercom_signature(secret: str, body: bytes) -> str:
    return "sha1=" + _hex(secret, body, "sha1")


def intercom_valid(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(intercom_signature(secret, body), signature)
