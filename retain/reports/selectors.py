"""Reads of business reviews, always scoped to a workspace; resolving a customer's link."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, QuerySet
from django.utils import timezone

from retain.accounts.choices import Stage, Tier
from retain.accounts.figures import Figure
from retain.accounts.models import Account
from retain.lib.tokens import hash_token
from retain.reports.choices import ReviewStatus
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


# QBR coverage ------------------------------------------------------------------------------------

COVERAGE_DAYS = 100
COVERED_TIERS = (Tier.STRATEGIC, Tier.ENTERPRISE)
HELD = (ReviewStatus.HELD, ReviewStatus.FOLLOWED_UP)
OVERDUE_SHOWN = 15


@dataclass(frozen=True)
class CoverageRow:
    key: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class Overdue:
    account_id: int
    name: str
    tier: str
    owner: str
    last_held_on: dt.date | None


@dataclass(frozen=True)
class Coverage:
    """The share of strategic and enterprise customers with a review held in the last 100 days."""

    overall: Figure
    by_owner: list[CoverageRow]
    by_tier: list[CoverageRow]
    overdue: list[Overdue]
    overdue_count: int


def _coverage_figure(covered: int, eligible: int, since: dt.date) -> Figure:
    formula = (
        f"QBR coverage = strategic and enterprise customers with a review held since {since.isoformat()} "
        f"({COVERAGE_DAYS} days) / strategic and enterprise customers"
    )
    inputs = {"covered": covered, "customers": eligible}
    if not eligible:
        return Figure(None, formula, inputs, "QBR coverage = no strategic or enterprise customer")
    value = 100 * covered / eligible
    return Figure(value, formula, inputs, f"QBR coverage = {covered} / {eligible} = {value:.0f}%")


def qbr_coverage(workspace: Workspace, *, today: dt.date, accounts: QuerySet[Account] | None = None) -> Coverage:
    """QBR coverage per CSM and per tier, and the customers overdue a review (three queries)."""
    since = today - dt.timedelta(days=COVERAGE_DAYS)
    scope = (accounts if accounts is not None else Account.objects.all()).filter(
        workspace=workspace, tier__in=COVERED_TIERS
    )
    customers = list(scope.exclude(stage=Stage.CHURNED).select_related("owner__user").order_by("name", "pk"))
    held = dict(
        BusinessReview.objects.filter(
            workspace=workspace, account__in=[a.pk for a in customers], status__in=HELD, meeting_on__isnull=False
        )
        .values("account_id")
        .annotate(last=Max("meeting_on"))
        .values_list("account_id", "last")
    )
    covered_ids = {pk for pk, last in held.items() if last >= since}
    owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tiers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    labels: dict[str, str] = {}
    overdue: list[Overdue] = []
    for account in customers:
        owner_key = str(account.owner_id or "")
        labels[owner_key] = account.owner.display_name if account.owner else "Nobody"
        covered = account.pk in covered_ids
        for counts in (owners[owner_key], tiers[account.tier]):
            counts[0] += covered
            counts[1] += 1
        if not covered:
            overdue.append(
                Overdue(account.pk, account.name, account.get_tier_display(), labels[owner_key], held.get(account.pk))
            )
    overdue.sort(key=lambda o: (o.last_held_on or dt.date.min, o.name))
    return Coverage(
        overall=_coverage_figure(len(covered_ids), len(customers), since),
        by_owner=[
            CoverageRow(key, labels[key], _coverage_figure(c, n, since))
            for key, (c, n) in sorted(owners.items(), key=lambda item: labels[item[0]])
        ],
        by_tier=[
            CoverageRow(tier, Tier(tier).label, _coverage_figure(tiers[tier][0], tiers[tier][1], since))
            for tier in COVERED_TIERS
            if tier in tiers
        ],
        overdue=overdue[:OVERDUE_SHOWN],
        overdue_count=len(overdue),
    )
