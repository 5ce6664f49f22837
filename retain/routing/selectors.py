"""Reading inbound questions, always within one workspace."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count, F, Min, Q, QuerySet

from retain.accounts.choices import SubscriptionStatus
from retain.accounts.figures import Figure, Period
from retain.accounts.models import Account, Subscription
from retain.routing import feedback
from retain.routing.categories import CATEGORIES, SUPPORT
from retain.routing.choices import Desk
from retain.routing.models import ChannelLink, InboundMessage
from retain.tenancy.models import Workspace


def workspace_inbound(workspace: Workspace) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(workspace=workspace).select_related("account", "contact")


def channel_links(workspace: Workspace) -> QuerySet[ChannelLink]:
    """The workspace's Slack channels linked to accounts, by account name."""
    return (
        ChannelLink.objects.filter(workspace=workspace)
        .select_related("account", "account__owner__user")
        .order_by("account__name", "channel_id")
    )


def channel_account(workspace: Workspace, channel_id: str) -> Account | None:
    """The account a Slack channel is linked to (the Events API intake files its messages there)."""
    link = ChannelLink.objects.filter(workspace=workspace, channel_id=channel_id).select_related("account").first()
    return link.account if link is not None else None


def unmatched_inbound(workspace: Workspace) -> QuerySet[InboundMessage]:
    """Questions whose sender matched no contact and no account domain."""
    return workspace_inbound(workspace).filter(account__isnull=True)


# Measures ------------------------------------------------------------------------------------------


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def routing_measures(workspace: Workspace, period: Period) -> dict[str, Any]:
    """Volume by desk and category, misroute rate, CSM time on support-type questions, triage rate
    and time to first response per desk, for the questions received in `period`; each a Figure."""
    received = InboundMessage.objects.filter(
        workspace=workspace, received_at__gte=period.since, received_at__lt=period.until
    )
    total = received.count()
    by_desk = dict(received.values_list("desk").annotate(n=Count("id")).order_by())
    by_category = dict(received.exclude(category="").values_list("category").annotate(n=Count("id")).order_by())
    routed = received.exclude(first_desk__in=["", Desk.TRIAGE])
    routed_n = routed.count()
    misrouted = routed.filter(corrections__from_desk=F("first_desk")).exclude(desk=F("first_desk")).distinct().count()
    moved = routed.filter(corrections__isnull=False).distinct().count()
    at_csm = received.filter(first_desk=Desk.CSM)
    at_csm_n = at_csm.count()
    support_types = [key for key, (desk, _label) in CATEGORIES.items() if desk == SUPPORT]
    csm_support = at_csm.filter(Q(desk=Desk.SUPPORT) | Q(category__in=support_types)).count()
    triaged = received.filter(first_desk=Desk.TRIAGE).count()
    misroute = _share(moved, routed_n)
    csm_share = _share(csm_support, at_csm_n)
    triage = _share(triaged, total)
    figures = {
        "volume": Figure(
            total,
            "Questions received in the period, by the desk they are at now and by category.",
            {"received": total},
            f"{total} questions",
        ),
        "misroute_rate": Figure(
            misroute,
            "Misroute rate = questions a person moved to another desk or category ÷ questions the rules "
            "or the model sent to a desk (triage not counted).",
            {"corrected": moved, "routed": routed_n, "moved to the other desk": misrouted},
            f"{moved} ÷ {routed_n} = {_pct(misroute)}",
        ),
        "csm_on_support": Figure(
            csm_share,
            "Share of CSM time on support-type questions (counted in questions, each taken as equal time) = "
            "questions first sent to the CSM desk that are support-type (how-to, password and access, "
            "users, bugs; or moved to support) ÷ questions first sent to the CSM desk. Seed 003: don't make "
            "CSMs do support.",
            {"support-type at the CSM desk": csm_support, "first sent to the CSM desk": at_csm_n},
            f"{csm_support} ÷ {at_csm_n} = {_pct(csm_share)}",
        ),
        "triage_rate": Figure(
            triage,
            "Triage rate = questions the router sent to triage (unsure, or predicted none of ours) ÷ all "
            "questions received.",
            {"sent to triage": triaged, "received": total},
            f"{triaged} ÷ {total} = {_pct(triage)}",
        ),
    }
    response: dict[str, Figure] = {}
    for desk in (Desk.SUPPORT, Desk.CSM):
        hours = sorted(
            (answered - arrived).total_seconds() / 3600
            for arrived, answered in received.filter(desk=desk, first_response_at__isnull=False).values_list(
                "received_at", "first_response_at"
            )
            if answered is not None
        )
        median = float(np.median(hours)) if hours else None
        shown = "—" if median is None else f"{median:.1f} h"
        response[desk] = Figure(
            median,
            f"Time to first response at the {Desk(desk).label.lower()} desk = the median, over its questions "
            "answered, of (first answer − received), in hours.",
            {"answered": len(hours), "unanswered": received.filter(desk=desk, first_response_at__isnull=True).count()},
            f"median of {len(hours)} = {shown}",
        )
    return {
        "figures": figures,
        "response": response,
        "by_desk": [(Desk(key).label, by_desk.get(key, 0)) for key in (Desk.SUPPORT, Desk.CSM, Desk.TRIAGE)],
        "by_category": [(label, by_category.get(key, 0), desk) for key, (desk, label) in CATEGORIES.items()],
    }


# Product feedback ----------------------------------------------------------------------------------


@dataclass
class FeedbackGroup:
    label: str
    example: InboundMessage
    messages: list[InboundMessage]
    accounts: list[dict[str, Any]]
    arr: Decimal


def product_feedback(workspace: Workspace, *, limit: int = 2000) -> list[FeedbackGroup]:
    """Feature requests grouped by what they ask for, each with the accounts asking, their ARR
    (MRR × 12 now) and their next renewal date (the earliest term end of an active subscription)."""
    requests = list(
        workspace_inbound(workspace).filter(category="feature_request").order_by("received_at", "pk")[:limit]
    )
    account_ids = {m.account_id for m in requests if m.account_id}
    renewals = dict(
        Subscription.objects.filter(workspace=workspace, account_id__in=account_ids, status=SubscriptionStatus.ACTIVE)
        .values_list("account")
        .annotate(next_end=Min("term_end"))
        .order_by()
    )
    out = []
    for found in feedback.group([f"{m.subject} {m.text}".strip() for m in requests]):
        messages = [requests[i] for i in found.members]
        accounts: dict[int, dict[str, Any]] = {}
        for message in messages:
            if message.account is not None and message.account_id not in accounts:
                accounts[message.account.pk] = {
                    "account": message.account,
                    "arr": message.account.arr,
                    "renews_on": renewals.get(message.account.pk),
                }
        rows = sorted(accounts.values(), key=lambda row: -row["arr"])
        out.append(
            FeedbackGroup(
                label=found.label,
                example=requests[found.example],
                messages=messages,
                accounts=rows,
                arr=sum((row["arr"] for row in rows), Decimal(0)),
            )
        )
    out.sort(key=lambda g: (-g.arr, -len(g.messages)))
    return out
