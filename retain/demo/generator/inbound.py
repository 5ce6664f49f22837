"""Demo step: a quarter of inbound questions across channels, routed by the real router.

Questions are written from templates per category (the demo vendor's features filled in), sent by
the accounts' own contacts (and a few strangers, who land in the unmatched list) by e-mail, Zendesk,
Intercom, Slack (strategic accounts get a linked shared channel) and the in-app form over the last
90 days (never before the account became a customer). Each goes through routing's intake service:
rules, then the default model, else triage. The acts (tasks, timeline entries, forwards) are left
out: they are stamped with the build's clock, and a replayed quarter would leave months-old tasks
open and dated today. Then the account owner corrects what the router got wrong (the generator
knows what each question is), as a CSM reading the inbox would, most are marked answered, and the
feature requests form the product-feedback groups.
"""

from __future__ import annotations

import datetime as dt

from retain.demo.generator.context import DemoContext
from retain.routing import router, services
from retain.routing.categories import CATEGORIES
from retain.routing.choices import Desk, Source
from retain.routing.models import ChannelLink, InboundMessage

FEATURES = (
    "workflows",
    "email campaigns",
    "landing pages",
    "attribution reports",
    "social monitoring",
    "lead scoring",
    "the CRM sync",
    "the blog",
    "forms",
    "the tracking code",
)
ASKS = (
    "a TikTok channel in social monitoring",
    "SMS steps in workflows",
    "a HubSpot import",
    "scheduled report e-mails for our executives",
    "a Pipedrive integration",
    "approval steps before campaigns go out",
    "custom weights in multi-touch attribution",
    "a calendar view of scheduled campaigns",
)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "how_to": (
        "How do I set up {feature} for our new product line?",
        "Where can I change the settings for {feature}?",
        "Is there a guide to getting started with {feature}?",
        "How do I copy {feature} from one brand to another?",
    ),
    "password_access": (
        "I can't log in since this morning - the password reset mail never arrives",
        "My two-factor code is not accepted when I sign in",
        "Locked out after too many login attempts",
    ),
    "user_admin": (
        "Please add our new marketing manager as a user",
        "How do I remove a colleague who left?",
        "Can you make Sam an admin on our account?",
        "We need read-only access for our agency",
    ),
    "bug_outage": (
        "{feature} stopped working after yesterday's update",
        "We get an error whenever we open {feature}",
        "{feature} has been down for an hour for our whole team",
    ),
    "feature_request": (
        "It would be great to have {ask}",
        "Please add {ask} - our team keeps asking",
        "Any chance of {ask}? We would use it every week",
    ),
    "capability_question": (
        "Can {feature} handle two million contacts?",
        "Does {feature} support our EU data residency needs?",
        "Is it possible to connect {feature} with our data warehouse?",
    ),
    "complaint": (
        "We are very unhappy: {feature} broke again and nobody replied to our ticket",
        "This is the third problem with {feature} this month - frustrating",
        "Support has been slow and unhelpful",
    ),
    "pricing": ("How much would it cost to add 10,000 more contacts?", "Can you send a quote for the enterprise plan?"),
    "renewal": ("Our contract renews soon - can we discuss terms?", "Please send the renewal paperwork to procurement"),
    "upgrade": ("We want to add {feature} for our second brand", "Please add ten more seats to our plan"),
    "cancellation": (
        "We have decided not to renew at the end of the term",
        "Please cancel our subscription",
        "Our budget was cut and we will have to stop using the product",
    ),
}
# How often each kind of question comes in (support questions dominate, as in any inbox).
WEIGHTS = {
    "how_to": 24,
    "password_access": 10,
    "user_admin": 10,
    "bug_outage": 12,
    "feature_request": 12,
    "capability_question": 8,
    "complaint": 6,
    "pricing": 5,
    "renewal": 5,
    "upgrade": 4,
    "cancellation": 4,
}
CHANNELS = ((Source.EMAIL, 40), (Source.ZENDESK, 20), (Source.INTERCOM, 15), (Source.SLACK, 15), (Source.FORM, 10))
DAYS = 90


def build_inbound(ctx: DemoContext) -> str:
    rng = ctx.rng("inbound")
    workspace = ctx.ws
    router.default_model()  # trained from the starter questions on first use, kept under var/
    accounts = sorted((a for a in ctx.accounts.values() if a.mrr > 0), key=lambda a: a.pk)
    contacts_by_account: dict[int, list[str]] = {}
    for contact in ctx.contacts.values():
        if contact.email:
            contacts_by_account.setdefault(contact.account_id, []).append(contact.email)
    for account in accounts:
        if account.tier == "strategic":
            ChannelLink.objects.get_or_create(workspace=workspace, channel_id=f"C{account.pk:08d}", account=account)
    kinds = list(WEIGHTS)
    count = min(400, 20 + ctx.size // 4)
    kept: list[tuple[InboundMessage, str]] = []
    for number in range(count):
        kind = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
        text = rng.choice(TEMPLATES[kind]).format(feature=rng.choice(FEATURES), ask=rng.choice(ASKS))
        text = text[0].upper() + text[1:]
        source = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        asker = rng.choice(accounts) if accounts and rng.random() > 0.06 else None
        emails = contacts_by_account.get(asker.pk, []) if asker else []
        sender = rng.choice(emails) if emails else f"someone{number}@gmail.com"
        if source == Source.SLACK and (asker is None or asker.tier != "strategic"):
            source = Source.EMAIL
        day = ctx.today - dt.timedelta(days=rng.randrange(DAYS))
        began = asker.customer_since if asker is not None else None
        if began is not None and day < began:
            day = began + dt.timedelta(days=rng.randrange(max(1, (ctx.today - began).days + 1)))
        message, _ = services.inbound_receive(
            workspace=workspace,
            source=source,
            sender=sender if source != Source.SLACK else f"U{number:06d}",
            text=text,
            source_message_id=f"demo-{number}",
            received_at=ctx.at(day, rng.randrange(8, 18), rng.randrange(60)),
            account=asker if source == Source.SLACK else None,
            act=False,
        )
        kept.append((message, kind))
    corrected = answered = 0
    for message, kind in kept:
        owner = message.account.owner if message.account and message.account.owner else None
        if message.category != kind and owner is not None and rng.random() < 0.8:
            services.message_correct(actor=owner, message=message, category=kind, act=False)
            corrected += 1
        hours = rng.uniform(0.5, 30 if CATEGORIES[kind][0] == "support" else 48)
        answer = message.received_at + dt.timedelta(hours=hours)
        if message.desk != Desk.TRIAGE and rng.random() < 0.75 and answer <= ctx.at(ctx.today, 23, 59):
            InboundMessage.objects.filter(pk=message.pk).update(first_response_at=answer)
            answered += 1
    triaged = sum(1 for message, _ in kept if message.first_desk == Desk.TRIAGE)
    ctx.counts["inbound_questions"] = len(kept)
    return f"{len(kept)} inbound questions routed ({triaged} to triage), {corrected} corrected, {answered} answered"
