"""Receiving, routing and correcting inbound questions; retraining a workspace's model."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.messaging.choices import Channel, DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.services import address_email_enqueue, webhook_enqueue
from retain.routing import classifier, router
from retain.routing import rules as rules_module
from retain.routing.categories import CATEGORIES, URGENT, desk_of, label_of
from retain.routing.choices import DecidedBy, Desk, Source
from retain.routing.models import ChannelLink, Correction, InboundMessage, RoutingSetup
from retain.tasks.choices import TaskKind, TaskPriority
from retain.tasks.services import task_create
from retain.tenancy.models import Member, Workspace

# A CSM-desk question becomes a task for the account's owner, due by its priority (days from today).
PRIORITY = {"complaint": TaskPriority.URGENT, "cancellation": TaskPriority.URGENT, "renewal": TaskPriority.HIGH,
            "pricing": TaskPriority.HIGH, "upgrade": TaskPriority.HIGH}  # fmt: skip
DUE_DAYS = {TaskPriority.URGENT: 0, TaskPriority.HIGH: 1, TaskPriority.NORMAL: 3}

# Common mail providers: a sender at one of these is matched by address only, never by domain.
FREE_MAIL = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me", "aol.com"}
)


class RoutingError(ValueError):
    """Bad input, with the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Decision:
    desk: str
    category: str
    confidence: float | None
    decided_by: str
    rule: str
    reason: str
    urgent: bool


# Set-up --------------------------------------------------------------------------------------------


def routing_setup_get(*, workspace: Workspace) -> RoutingSetup:
    setup, _ = RoutingSetup.objects.get_or_create(
        workspace=workspace, defaults={"rules_yaml": rules_module.DEFAULT_RULES}
    )
    return setup


def routing_rules_save(*, actor: Member | None, workspace: Workspace, text: str) -> RoutingSetup:
    """Check the rules (DefinitionError with line:column when wrong) and keep them; nothing is kept if wrong."""
    rules_module.parse(text)
    setup = routing_setup_get(workspace=workspace)
    setup.rules_yaml = text
    setup.save(update_fields=["rules_yaml", "updated_at"])
    return setup


SECRETS = ("mailgun_signing_key", "slack_signing_secret", "zendesk_signing_secret", "intercom_client_secret")


def routing_settings_save(
    *, actor: Member, workspace: Workspace, support_webhook_url: str, secrets: dict[str, str], support_email: str = ""
) -> RoutingSetup:
    """The support tool's webhook and mailbox, and the providers' signing secrets (stored encrypted);
    a secret left empty is kept."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator, validate_email

    email = support_email.strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RoutingError("support_email", "must be an e-mail address") from None

    url = support_webhook_url.strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise RoutingError("support_webhook_url", "must be an http:// or https:// address") from None
    setup = routing_setup_get(workspace=workspace)
    setup.support_webhook_url = url
    setup.support_email = email
    for name in SECRETS:
        value = (secrets.get(name) or "").strip()
        if len(value) > 200:
            raise RoutingError(name, "must be at most 200 characters")
        if value:
            setattr(setup, name, value)
    setup.save()
    return setup


# Slack channels shared with customers -------------------------------------------------------------

# Slack's conversation ids: C (public) or G (private), then upper-case letters and digits, with at
# least one digit (so a channel's name, "general", is not taken for its id).
SLACK_CHANNEL = re.compile(r"^[CG](?=[A-Z0-9]*[0-9])[A-Z0-9]{6,30}$")


def channel_link_add(*, actor: Member, workspace: Workspace, channel_id: str, account: Account) -> ChannelLink:
    """Link a Slack channel to an account: its messages (Events API) are that account's questions."""
    channel_id = (channel_id or "").strip().upper()
    if not SLACK_CHANNEL.match(channel_id):
        raise RoutingError("channel_id", "must be a Slack channel id like C0123456789 (Channel details → About)")
    if account.workspace_id != workspace.pk:
        raise RoutingError("account", "is not in this workspace")
    taken = ChannelLink.objects.filter(workspace=workspace, channel_id=channel_id).select_related("account").first()
    if taken is not None:
        raise RoutingError("channel_id", f"is already linked to {taken.account.name}")
    try:
        with transaction.atomic():
            return ChannelLink.objects.create(workspace=workspace, channel_id=channel_id, account=account)
    except IntegrityError:  # linked by someone else at the same moment
        raise RoutingError("channel_id", "is already linked to an account") from None


def channel_link_remove(*, actor: Member, link: ChannelLink) -> None:
    """Unlink a channel: its later messages are filed by their sender like any other."""
    link.delete()


# Matching the sender -------------------------------------------------------------------------------


def sender_match(*, workspace: Workspace, email: str) -> tuple[Contact | None, Account | None]:
    """The contact with this address; else the one account whose domain is the address's domain."""
    email = email.strip().lower()
    if "@" not in email:
        return None, None
    contact = Contact.objects.filter(workspace=workspace, email__iexact=email).select_related("account").first()
    if contact is not None:
        return contact, contact.account
    domain = email.rsplit("@", 1)[1]
    if domain in FREE_MAIL:
        return None, None
    accounts = list(Account.objects.filter(workspace=workspace, domain__iexact=domain)[:2])
    return None, accounts[0] if len(accounts) == 1 else None


# Deciding ------------------------------------------------------------------------------------------


def decide(
    *,
    rules: list[rules_module.Rule],
    model: classifier.Model,
    subject: str,
    text: str,
    facts: rules_module.Facts | None = None,
) -> Decision:
    """Rules first; the model for what the rules leave open; triage when the model is unsure."""
    body = f"{subject}\n{text}".strip()
    facts = facts or rules_module.Facts(text=body)
    rule = rules_module.first_match(rules, facts)
    if rule is not None and rule.category:
        return Decision(rule.desk, rule.category, None, DecidedBy.RULE, rule.name, f"rule: {rule.name}", rule.urgent)
    prediction = model.predict_one(body)
    if rule is not None:  # the rule names the desk; the model names the category when it agrees
        category = prediction.best if desk_of(prediction.best) == rule.desk else ""
        urgent = rule.urgent or category in URGENT
        reason = f"rule: {rule.name}; category by {model.name} ({prediction.confidence:.2f})"
        return Decision(rule.desk, category, prediction.confidence, DecidedBy.RULE, rule.name, reason, urgent)
    if prediction.triaged:
        why = (
            f"{model.name} unsure: {label_of(prediction.best)} at {prediction.confidence:.2f} "
            f"(threshold {model.threshold:.2f})"
        )
        return Decision(Desk.TRIAGE, "", prediction.confidence, DecidedBy.TRIAGE, "", why, False)
    reason = f"{model.name}: {label_of(prediction.label)} ({prediction.confidence:.2f})"
    return Decision(
        desk_of(prediction.label),
        prediction.label,
        prediction.confidence,
        DecidedBy.MODEL,
        "",
        reason,
        prediction.label in URGENT,
    )


def workspace_router(*, workspace: Workspace) -> tuple[list[rules_module.Rule], classifier.Model]:
    setup = routing_setup_get(workspace=workspace)
    return rules_module.parse(setup.rules_yaml), router.workspace_model(setup.model_file)


def _facts(message: InboundMessage) -> rules_module.Facts:
    email = message.sender_email.lower()
    return rules_module.Facts(
        text=f"{message.subject}\n{message.text}",
        sender_role=message.contact.role if message.contact else "",
        tier=message.account.tier if message.account else "",
        source=message.source,
        sender_domain=email.rsplit("@", 1)[1] if "@" in email else "",
    )


def message_route(*, message: InboundMessage, rules: list[rules_module.Rule], model: classifier.Model) -> Decision:
    decision = decide(rules=rules, model=model, subject=message.subject, text=message.text, facts=_facts(message))
    message.desk = decision.desk
    message.category = decision.category
    message.confidence = decision.confidence
    message.decided_by = decision.decided_by
    message.rule = decision.rule[:200]
    message.reason = decision.reason[:500]
    message.urgent = decision.urgent
    message.routed_at = timezone.now()
    message.first_desk = message.first_desk or decision.desk
    message.save(
        update_fields=[
            "desk", "category", "confidence", "decided_by", "rule", "reason", "urgent", "routed_at", "first_desk"
        ]
    )  # fmt: skip
    return decision


# Receiving -----------------------------------------------------------------------------------------


def inbound_receive(
    *,
    workspace: Workspace,
    source: str,
    text: str,
    sender: str = "",
    subject: str = "",
    source_message_id: str = "",
    received_at: dt.datetime | None = None,
    account: Account | None = None,
    act: bool = True,
) -> tuple[InboundMessage, bool]:
    """Keep and route one question; (the message, created). The same source id twice is one message.
    `act=False` routes without the acts (task, timeline entry, forward): for replaying history."""
    if source not in Source.values:
        raise RoutingError("source", f"must be one of {', '.join(Source.values)}")
    text = (text or "").strip()
    if not text and not subject.strip():
        raise RoutingError("text", "is required")
    source_message_id = (source_message_id or "").strip()[:255]
    if source_message_id:
        found = InboundMessage.objects.filter(
            workspace=workspace, source=source, source_message_id=source_message_id
        ).first()
        if found is not None:
            return found, False
    if account is not None and account.workspace_id != workspace.pk:
        raise RoutingError("account", "is not in this workspace")
    sender = (sender or "").strip()[:255]
    email = _address(sender)
    contact, matched = sender_match(workspace=workspace, email=email) if email else (None, None)
    rules, model = workspace_router(workspace=workspace)
    try:
        with transaction.atomic():
            message = InboundMessage.objects.create(
                workspace=workspace,
                source=source,
                source_message_id=source_message_id,
                sender=sender,
                sender_email=email,
                contact=contact,
                account=account or matched,
                subject=subject.strip()[:500],
                text=text or subject.strip(),
                received_at=received_at or timezone.now(),
            )
            message_route(message=message, rules=rules, model=model)
            if act:
                message_act(message=message)
    except IntegrityError:  # the same message arrived twice at once: the other one was kept
        found = InboundMessage.objects.filter(
            workspace=workspace, source=source, source_message_id=source_message_id
        ).first()
        if found is None:
            raise
        return found, False
    return message, True


def _address(sender: str) -> str:
    """'Ann Lee <ann@acme.com>' → 'ann@acme.com'; '' when there is no address."""
    if "<" in sender and ">" in sender:
        sender = sender[sender.index("<") + 1 : sender.index(">")]
    sender = sender.strip().lower()
    return sender if "@" in sender and " " not in sender and len(sender) <= 254 else ""


# Acting --------------------------------------------------------------------------------------------


def message_act(*, message: InboundMessage, today: dt.date | None = None) -> None:
    """What a routed question sets off. With a known account: a timeline entry (cancellation intent and
    complaints as their own kinds, which playbooks trigger on); the CSM desk also gets a task for the
    account's owner, due by priority; the support desk's question is forwarded to the support tool,
    by webhook and/or by e-mail to the support desk's address, whichever the workspace has set, through
    the outbox, once per message (the message's id is the idempotency key), and the timeline records
    the forward when the outbox delivers it (`forward_delivered`). Triage waits for a person.
    `today` dates the task (the workspace's today unless a replay of history says otherwise)."""
    if message.desk == Desk.TRIAGE:
        return
    forwarded_to: list[str] = []
    if message.desk == Desk.SUPPORT:
        forwarded_to = _forward(message)
    account = message.account
    if account is None:
        return
    kind = {"cancellation": EntryKind.CANCELLATION_INTENT, "complaint": EntryKind.COMPLAINT_RECEIVED}.get(
        message.category, EntryKind.INBOUND_QUESTION
    )
    label = label_of(message.category) if message.category else "Question"
    headline = message.subject or message.text
    summary = f"{label} from {message.sender or 'the customer'} to {message.get_desk_display()}: {headline[:200]}"
    key = f"routing:{message.pk}:{kind}"  # a correction to a complaint or cancellation is a new fact
    if not TimelineEntry.objects.filter(workspace=message.workspace, dedupe_key=key).exists():
        timeline.inbound_question_entry(
            account,
            kind=kind,
            summary=summary,
            occurred_at=message.received_at,
            data={
                "message_id": message.pk,
                "forwarded_to": forwarded_to,
                "desk": message.desk,
                "category": message.category,
                "source": message.source,
                "decided_by": message.decided_by,
                "rule": message.rule,
            },
            dedupe_key=key,
        ).save()
    if message.desk == Desk.CSM and message.task_id is None:
        priority = TaskPriority.URGENT if message.urgent else PRIORITY.get(message.category, TaskPriority.NORMAL)
        task = task_create(
            account=account,
            title=f"Answer: {label.lower()} — {headline[:120]}",
            kind=TaskKind.EMAIL,
            due_on=(today or workspace_today(message.workspace)) + dt.timedelta(days=DUE_DAYS[priority]),
            priority=priority,
            description=f"{message.sender or 'A customer'} asked ({message.get_source_display()}):\n\n{message.text}"[
                :4000
            ],
            source_ref=f"inbound:{message.pk}",
            via="routing",
        )
        message.task_id = task.pk
        message.save(update_fields=["task_id"])


FORWARD_SOURCE = "routing"  # the outbox calls `forward_delivered` for messages whose source starts "routing:"


def _forward(message: InboundMessage) -> list[str]:
    """Queue the question for the support tool (webhook, e-mail or both); where it was sent."""
    setup = routing_setup_get(workspace=message.workspace)
    sent: list[str] = []
    outbound = None
    if setup.support_webhook_url:
        outbound = webhook_enqueue(
            workspace=message.workspace,
            account=message.account,
            channel=Channel.WEBHOOK,
            url=setup.support_webhook_url,
            payload=_forward_payload(message),
            idempotency_key=f"routing:forward:{message.pk}",
            source=f"{FORWARD_SOURCE}:forward:{message.pk}",
        )
        sent.append(setup.support_webhook_url)
    if setup.support_email:
        outbound = address_email_enqueue(
            workspace=message.workspace,
            account=message.account,
            to=setup.support_email,
            subject=_forward_subject(message),
            body=_forward_body(message),
            idempotency_key=f"routing:forward-email:{message.pk}",
            source=f"{FORWARD_SOURCE}:forward:{message.pk}",
        )
        sent.append(setup.support_email)
    if outbound is not None and message.forwarded_id != outbound.pk:
        message.forwarded_id = outbound.pk
        message.save(update_fields=["forwarded_id"])
    return sent


def _forward_subject(message: InboundMessage) -> str:
    who = message.account.name if message.account else (message.sender or "unknown sender")
    label = label_of(message.category) if message.category else "Question"
    return f"[{label}] {who}: {(message.subject or message.text)[:150]}"


def _forward_body(message: InboundMessage) -> str:
    lines = [
        f"From: {message.sender or 'unknown'}",
        f"Account: {message.account.name if message.account else 'not matched'}",
        f"Received: {message.received_at.isoformat()} ({message.get_source_display()})",
        f"Category: {label_of(message.category) if message.category else 'none'}",
        f"Why support: {message.reason}",
        "",
    ]
    if message.subject:
        lines += [f"Subject: {message.subject}", ""]
    lines.append(message.text)
    return "\n".join(lines)


def forward_delivered(outbound: OutboundMessage, status: str, when: dt.datetime) -> None:
    """The outbox delivered (or gave up on) a forward: a sent one goes on the account's timeline, once."""
    if status != DeliveryStatus.SENT or outbound.account is None:
        return
    message_id = outbound.source.rsplit(":", 1)[-1]
    where = outbound.to if outbound.channel == Channel.EMAIL else "the support tool's webhook"
    key = f"routing:{message_id}:forwarded:{outbound.channel}"
    if TimelineEntry.objects.filter(workspace_id=outbound.workspace_id, dedupe_key=key).exists():
        return
    message = InboundMessage.objects.filter(workspace_id=outbound.workspace_id, pk=message_id).first()
    headline = (message.subject or message.text)[:200] if message is not None else outbound.subject
    timeline.inbound_question_entry(
        outbound.account,
        kind=EntryKind.INBOUND_QUESTION,
        summary=f"Forwarded to support ({where}): {headline}",
        occurred_at=when,
        data={"message_id": int(message_id), "forwarded_to": outbound.to, "outbound_id": outbound.pk},
        dedupe_key=key,
    ).save()


def _forward_payload(message: InboundMessage) -> dict[str, object]:
    return {
        "id": message.pk,
        "source": message.source,
        "sender": message.sender,
        "account": message.account.name if message.account else None,
        "subject": message.subject,
        "text": message.text,
        "category": message.category,
        "received_at": message.received_at.isoformat(),
        "reason": message.reason,
    }


# Correcting ----------------------------------------------------------------------------------------


def message_correct(
    *, actor: Member, message: InboundMessage, category: str = "", desk: str = "", act: bool = True
) -> Correction:
    """Move a question to another category (and so its desk) or only to another desk."""
    if category and category not in CATEGORIES:
        raise RoutingError("category", f"must be one of {', '.join(CATEGORIES)}")
    if not category and desk not in (Desk.SUPPORT, Desk.CSM):
        raise RoutingError("desk", "must be support or csm (or give a category)")
    to_desk = desk_of(category) if category else desk
    if to_desk == message.desk and category == message.category:
        raise RoutingError("category", "is where the question already is")
    with transaction.atomic():
        correction = Correction.objects.create(
            workspace_id=message.workspace_id,
            message=message,
            from_desk=message.desk,
            from_category=message.category,
            to_desk=to_desk,
            to_category=category,
            by=actor,
        )
        message.desk = to_desk
        message.category = category
        message.decided_by = DecidedBy.PERSON
        message.reason = f"corrected by {actor}"[:500]
        message.urgent = message.urgent or category in URGENT
        message.save(update_fields=["desk", "category", "decided_by", "reason", "urgent"])
        if act:
            message_act(message=message)
    return correction


def message_answer(*, actor: Member, message: InboundMessage) -> InboundMessage:
    """The desk answered the question: its first response time is kept (the first answer counts)."""
    if message.first_response_at is None:
        message.first_response_at = timezone.now()
        message.save(update_fields=["first_response_at"])
    return message


# Retraining ----------------------------------------------------------------------------------------


def routing_model_retrain(*, workspace: Workspace) -> tuple[RoutingSetup, classifier.TrainingResult]:
    """Train the workspace's model on the starter questions plus its own corrected questions."""
    texts, labels = router.starter_rows()
    corrected = (
        InboundMessage.objects.filter(workspace=workspace, decided_by=DecidedBy.PERSON)
        .exclude(category="")
        .values_list("subject", "text", "category")
    )
    own = [(f"{subject}\n{text}".strip(), category) for subject, text, category in corrected]
    result = classifier.train(texts + [t for t, _ in own], labels + [c for _, c in own])
    name = f"workspace-{workspace.pk}-{int(time.time())}.joblib"
    classifier.save(result.model, router.models_dir() / name)
    setup = routing_setup_get(workspace=workspace)
    old = setup.model_file
    setup.model_file = name
    setup.model_rows = result.model.rows
    setup.model_corrections = len(own)
    setup.model_cv_accuracy = result.cv.accuracy
    setup.model_trained_at = timezone.now()
    setup.save()
    if old and old != name:
        (router.models_dir() / old).unlink(missing_ok=True)
    return setup, result
