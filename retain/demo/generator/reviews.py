"""Demo business reviews: last quarter's, held and followed up, for the strategic and enterprise
customers, and this quarter's prepared.

Each pack takes a fifth of a second to build, so the demo reviews the MAX_ACCOUNTS largest
strategic and enterprise customers (strategic first) rather than all of them; the QBR playbook
plans the others' reviews as their 90-day anniversaries come round.

Each runs through the real services: the pack is built from the demo's own figures, the meeting is
logged on the timeline, and the agreed proposals land in the success plan and in tasks. Only what a
person would say in the room (decisions, feedback, how it went, which proposals were agreed) is
drawn at random.
"""

from __future__ import annotations

import datetime as dt
import random

from retain.accounts.choices import ContactRole, ContactStatus, Stage, Tier
from retain.accounts.models import Account
from retain.demo.generator.context import DemoContext
from retain.reports import services
from retain.reports.choices import Sentiment
from retain.reports.models import BusinessReview
from retain.reports.periods import quarter_of
from retain.tasks.models import Task

MAX_ACCOUNTS = 12
DECISIONS = (
    "Roll out lead nurture to the second region next quarter",
    "Move the weekly report to the attribution dashboard",
    "Train the new marketing hires on workflows",
    "Connect the CRM sandbox before the spring campaign",
    "Review seat usage with finance before the renewal",
)
FEEDBACK = (
    "Wants better attribution across channels",
    "The campaign editor is slow with large lists",
    "Happy with support response times",
    "Asks for a Salesforce field mapping guide",
    "",
)


def build_reviews(ctx: DemoContext) -> str:
    quarter = quarter_of(ctx.today)
    last = quarter.previous()
    customers = (
        Account.objects.filter(workspace=ctx.ws, tier__in=[Tier.STRATEGIC, Tier.ENTERPRISE])
        .exclude(stage=Stage.CHURNED)
        .select_related("workspace", "owner")
        .order_by("pk")
    )
    held = prepared = 0
    chosen = [
        account
        for account in customers
        if account.customer_since is not None and account.customer_since <= last.start and account.owner is not None
    ]
    chosen.sort(key=lambda a: (a.tier != Tier.STRATEGIC, -a.mrr, a.pk))
    for account in chosen[:MAX_ACCOUNTS]:
        rng = ctx.rng("reviews", account.external_id)
        if not BusinessReview.objects.filter(account=account, period=last.name).exists():
            held += _hold_last_quarter(ctx, account, last.name, last.end, rng)
        review = BusinessReview.objects.filter(account=account, period=quarter.name).first()
        if review is None:
            meeting_on = ctx.today + dt.timedelta(days=rng.randint(3, 21))
            review = services.review_create(account=account, actor=None, period=quarter.name, meeting_on=meeting_on)
        if review.status == "planned":
            services.review_prepare(review=review, actor=account.owner, today=ctx.today)
            prepared += 1
    ctx.counts["business_reviews_held"] = held
    ctx.counts["business_reviews_prepared"] = prepared
    return f"{held} reviews of {last.name} held and followed up, {prepared} reviews of {quarter.name} prepared"


def _hold_last_quarter(ctx: DemoContext, account: Account, period: str, ended: dt.date, rng: random.Random) -> int:
    owner = account.owner
    held_on = min(ctx.today - dt.timedelta(days=1), ended + dt.timedelta(days=rng.randint(5, 25)))
    review = services.review_create(account=account, actor=owner, period=period, meeting_on=held_on)
    review = services.review_prepare(review=review, actor=owner, today=ended)
    contacts = list(
        account.contacts.filter(
            role__in=[ContactRole.CHAMPION, ContactRole.EXECUTIVE_SPONSOR], status=ContactStatus.ACTIVE
        ).order_by("pk")[:2]
    )
    sentiment = rng.choices(Sentiment.values, weights=(5, 3, 1))[0]
    review = services.review_hold(
        review=review,
        actor=owner,
        held_on=held_on,
        contacts=contacts,
        members=[owner] if owner is not None else [],
        decisions=rng.choice(DECISIONS),
        feedback=rng.choice(FEEDBACK),
        sentiment=sentiment,
    )
    proposals = [{**item, "accepted": rng.random() < 0.7} for item in review.proposals]
    if proposals:
        review = services.review_proposals_update(review=review, actor=owner, proposals=proposals)
    review = services.review_follow_up(review=review, actor=owner)
    # The follow-up was written the day of the meeting, not the day the demo was built.
    made = [item["task"] for item in review.follow_up.values() if "task" in item]
    Task.objects.filter(pk__in=made).update(created_at=ctx.at(held_on, 17))
    # The CSM shared the pack with the customer before the meeting (the raw token is not kept).
    services.review_link_create(review=review, actor=owner, days=30)
    return 1
