"""Demo step: a quarter of inbound questions across channels, routed by the real router.

Questions are written from templates per category (the demo vendor's features filled in), sent by
the accounts' own contacts (and a few strangers, who land in the unmatched list) by e-mail, Zendesk,
Intercom, Slack (strategic accounts get a linked shared channel) and the in-app form over the last
90 days (never before the account became a customer). Each goes through routing's intake service:
rules, then the default model, else triage. Then the account owner corrects what the router got
wrong (the generator knows what each question is), as a CSM reading the inbox would, and routing's
act service runs on the question where it ended up, dated the day it came in: a task for the
account owner on the CSM desk (completed, at the answer's time, when the question was answered),
a forward to the support desk's mailbox (support@ the vendor's domain) through the outbox for the
support desk, timeline entries for both. Forwards of earlier days are recorded as delivered then
(routing's own delivery handler writes their timeline entry); today's wait in the outbox. Most
questions are marked answered, and the feature requests form the product-feedback groups.
"""

from __future__ import annotations

import datetime as dt

from retain.accounts.models import TimelineEntry
from retain.demo.generator.context import DemoContext
from retain.demo.generator.names import VENDOR_DOMAIN
from retain.lib.dates import zone
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.routing import router, services
from retain.routing.categories import CATEGORIES
from retain.routing.choices import Desk, Source
from retain.routing.models import ChannelLink, InboundMessage
from retain.tasks.models import Task
from retain.tasks.services import task_complete
from retain.tenancy.choices import Role

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
    _support_mailbox(ctx)
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
    acted = {"tasks": 0, "done": 0, "forwards": 0}
    for message, kind in kept:
        owner = message.account.owner if message.account and message.account.owner else None
        if message.category != kind and owner is not None and rng.random() < 0.8:
            services.message_correct(actor=owner, message=message, category=kind, act=False)
            corrected += 1
        hours = rng.uniform(0.5, 30 if CATEGORIES[kind][0] == "support" else 48)
        answer = message.received_at + dt.timedelta(hours=hours)
        is_answered = message.desk != Desk.TRIAGE and rng.random() < 0.75 and answer <= ctx.at(ctx.today, 23, 59)
        _act(ctx, message, answer if is_answered else None, acted)
        if is_answered:
            InboundMessage.objects.filter(pk=message.pk).update(first_response_at=answer)
            answered += 1
    triaged = sum(1 for message, _ in kept if message.first_desk == Desk.TRIAGE)
    ctx.counts["inbound_questions"] = len(kept)
    ctx.counts["inbound_tasks"] = acted["tasks"]
    ctx.counts["inbound_forwards"] = acted["forwards"]
    return (
        f"{len(kept)} inbound questions routed ({triaged} to triage), {corrected} corrected, {answered} answered; "
        f"{acted['tasks']} tasks for the CSM desk ({acted['done']} done), {acted['forwards']} forwarded to support"
    )


def _support_mailbox(ctx: DemoContext) -> None:
    """The support desk's address: support-desk questions are mailed there."""
    admins = ctx.members.get(Role.ADMIN) or []
    admin = admins[0] if admins else None
    setup = services.routing_setup_get(workspace=ctx.ws)
    if admin is not None and not setup.support_email:
        services.routing_settings_save(
            actor=admin,
            workspace=ctx.ws,
            support_webhook_url=setup.support_webhook_url,
            support_email=f"support@{VENDOR_DOMAIN}",
            secrets={},
        )


def _act(ctx: DemoContext, message: InboundMessage, answered_at: dt.datetime | None, acted: dict[str, int]) -> None:
    """Routing's acts on one replayed question, dated when it came in (and its task done when answered)."""
    received_on = message.received_at.astimezone(zone(ctx.ws.time_zone)).date()
    services.message_act(message=message, today=received_on)
    if message.task_id is not None:
        acted["tasks"] += 1
        Task.objects.filter(pk=message.task_id).update(created_at=message.received_at, updated_at=message.received_at)
        if answered_at is not None:
            task = Task.objects.select_related("owner").get(pk=message.task_id)
            entries = _last_entry(ctx)
            task_complete(task=task, actor=task.owner, outcome="Answered the customer", via="web")
            Task.objects.filter(pk=task.pk).update(completed_at=answered_at, updated_at=answered_at)
            TimelineEntry.objects.filter(workspace=ctx.ws, pk__gt=entries).update(occurred_at=answered_at)
            acted["done"] += 1
    if message.forwarded_id is not None:
        acted["forwards"] += 1
        if received_on < ctx.today:
            # The outbox would have sent it within minutes of its arrival: recorded as delivered then,
            # through routing's own delivery handler (the timeline entry).
            sent_at = message.received_at + dt.timedelta(minutes=2)
            OutboundMessage.objects.filter(pk=message.forwarded_id).update(
                status=DeliveryStatus.SENT, sent_at=sent_at, next_attempt_at=None, attempts=1,
                created_at=message.received_at,
            )  # fmt: skip
            services.forward_delivered(
                OutboundMessage.objects.get(pk=message.forwarded_id), DeliveryStatus.SENT, sent_at
            )


def _last_entry(ctx: DemoContext) -> int:
    return TimelineEntry.objects.filter(workspace=ctx.ws).order_by("-pk").values_list("pk", flat=True).first() or 0
