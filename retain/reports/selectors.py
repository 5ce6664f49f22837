"""Reads of business reviews, always scoped to a workspace; resolving a customer's link."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from retain.accounts.models import Account
from retain.lib.tokens import hash_token
from retain.reports.models import BusinessReview, ReviewLink
from retain.tenancy.models import Workspace


def workspace_reviews(workspace: Workspace) -> QuerySet[BusinessReview]:
    return BusinessReview.objects.filter(workspace=workspace).select_related("account", "account__owner__user")


def account_reviews(account: Account) -> QuerySet[BusinessReview]:
    return BusinessReview.objects.filter(workspace_id=account.workspace_id, account=account).order_by("-starts_on")


def review_links(review: BusinessReview) -> QuerySet[ReviewLink]:
    return ReviewLink.objects.filter(workspace_id=review.workspace_id, review=review)


def review_link_resolve(raw: str) -> ReviewLink | None:
    """The live link a raw token names, or None when it is unknown, expired or revoked."""
    if not raw or len(raw) > 200:
        return None
    return (
        ReviewLink.objects.select_related("review__account", "workspace")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
