"""Reads for product usage."""

from __future__ import annotations

from django.db.models import QuerySet

from retain.tenancy.models import WriteKey, hash_token
from retain.usage.models import IngestRejection


def write_key_for(raw: str) -> WriteKey | None:
    """The live write key with this raw value, with its workspace, or None."""
    if not raw or len(raw) > 200:
        return None
    return (
        WriteKey.objects.select_related("workspace").filter(key_hash=hash_token(raw), revoked_at__isnull=True).first()
    )


def latest_rejections(write_key: WriteKey, limit: int = 50) -> QuerySet[IngestRejection]:
    return write_key.rejections.order_by("-received_at", "-id")[:limit]
