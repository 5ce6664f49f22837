"""Writes of the customer portal: the switch and resources CS edits, invitations and sign-in links,
sessions, and what a contact does in the portal.

Whatever a contact does there goes through the same services the app uses (a commitment's status,
a milestone's checklist tick, an inbound question), with no member as the actor, and is kept twice:
as a PortalActivity (what the engagement measures count) and on the account's timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import ContactStatus, Edition, Stage, Tier
from retain.accounts.models import Contact, TimelineEntry
from retain.journeys import services as journey_services
from retain.journeys.models import MilestoneProgress
from retain.lib import ratelimit
from retain.lib.dates import local_day
from retain.lib.tokens import hash_token, new_token
from retain.messaging import selectors as messaging_selectors
from retain.messaging import services as messaging_services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.plans import services as plan_services
from retain.plans.choices import CommitmentStatus
from retain.plans.models import Commitment
from retain.portal import selectors
from retain.portal.choices import ActivityKind, ResourceKind
from retain.portal.models import (
    PortalAccess,
    PortalActivity,
    PortalSession,
    PortalSettings,
    Resource,
    SignInLink,
)
from retain.routing import services as routing_services
from retain.routing.choices import Source
from retain.routing.models import InboundMessage
from retain.tenancy.models import Member, Workspace

SIGN_IN_MINUTES = 30  # a link asked for on the sign-in page
INVITE_HOURS = 72  # a link in CS's invitation, which may be read a day or two later
SESSION_HOURS = 12
# Sign-in e-mails: per address and per client address, in an hour.
RATE_WINDOW = 3600
RATE_PER_EMAIL = 5
RATE_PER_ADDRESS = 20
MAX_QUESTION = 5000
SOURCE = "portal"  # the outbox's source kind of sign-in e-mails ("portal-sign-in:<link id>")
REDACTED = "[the sign-in link is removed once the e-mail has left]"
WITHHELD = "[the one-time sign-in link is shown to the customer only]"


class RateLimited(Exception):
    """Too many sign-in e-mails asked for; `retry_after` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


# CS's side: the switch, resources, invitations ---------------------------------------------------


@transaction.atomic
def settings_update(*, workspace: Workspace, actor: Member | None, tiers: list[str]) -> PortalSettings:
    """Turn the portal on for exactly these tiers (an empty list turns it off everywhere)."""
    unknown = [tier for tier in tiers if tier not in Tier.values]
    if unknown:
        raise ValidationError({"tiers": f"{', '.join(unknown)}: must be one of {', '.join(Tier.values)}"})
    row, _ = PortalSettings.objects.get_or_create(workspace=workspace)
    row.tiers = [tier for tier in Tier.values if tier in tiers]
    row.updated_by = actor
    row.save()
    return row


def _clean_list(value: Any, field: str, allowed: list[str]) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError({field: "must be a list"})
    wrong = [str(item) for item in value if item not in allowed]
    if wrong:
        raise ValidationError({field: f"{', '.join(wrong)}: must be among {', '.join(allowed)}"})
    return [item for item in allowed if item in value]


@transaction.atomic
def resource_save(
    *,
    workspace: Workspace,
    actor: Member | None,
    title: str,
    url: str,
    kind: str,
    stages: list[str],
    editions: list[str],
    refreshed_on: dt.date,
    resource: Resource | None = None,
) -> Resource:
    """Add a resource, or change one (`resource`); empty stages or editions mean all of them."""
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "This field is required."
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = "Enter a web address starting with http:// or https://."
    if kind not in ResourceKind.values:
        errors["kind"] = f"must be one of {', '.join(ResourceKind.values)}"
    try:
        stages = _clean_list(stages, "stages", list(Stage.values))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    try:
        editions = _clean_list(editions, "editions", list(Edition.values))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    if resource is not None and resource.workspace_id != workspace.pk:
        raise ValidationError({"resource": "belongs to another workspace"})
    row = resource or Resource(workspace=workspace)
    row.title, row.url, row.kind = title[:200], url, kind
    row.stages, row.editions, row.refreshed_on, row.updated_by = stages, editions, refreshed_on, actor
    row.save()
    return row


def resource_remove(*, resource: Resource, actor: Member | None) -> None:
    resource.delete()


def _sign_in_url(raw: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal-sign-in-link', args=[raw])}"


def sign_in_link_create(
    *,
    contact: Contact,
    minutes: int,
    invited_by: Member | None = None,
    address: str = "",
    now: dt.datetime | None = None,
) -> tuple[SignInLink, str]:
    """A new single-use link for the contact: the row (holding the token's hash) and the raw token."""
    raw, hashed = new_token()
    now = now or timezone.now()
    link = SignInLink.objects.create(
        workspace_id=contact.workspace_id,
        contact=contact,
        token_hash=hashed,
        expires_at=now + dt.timedelta(minutes=minutes),
        invited_by=invited_by,
        requested_from=address[:64],
    )
    return link, raw


def _send_link(contact: Contact, *, minutes: int, invited_by: Member | None, address: str = "") -> SignInLink:
    """A new single-use link for the contact, e-mailed through the outbox (sent after commit by its sweep)."""
    link, raw = sign_in_link_create(contact=contact, minutes=minutes, invited_by=invited_by, address=address)
    workspace = contact.account.workspace
    context = {
        "first_name": contact.first_name,
        "vendor": workspace.name,
        "account": contact.account.name,
        "link": _sign_in_url(raw),
        "expires_at": link.expires_at,
        "minutes": minutes,
        "invited_by": invited_by.display_name if invited_by else "",
    }
    subject = f"Your {workspace.name} customer portal" if invited_by else f"Sign in to the {workspace.name} portal"
    messaging_services.email_enqueue(
        account=contact.account,
        contact=contact,
        subject=subject,
        body=render_to_string("portal/email/sign_in.txt", context),
        idempotency_key=f"portal-sign-in:{link.pk}",
        source=f"{SOURCE}:sign-in:{link.pk}",
        actor=invited_by,
    )
    return link


def _invitable(contact: Contact) -> None:
    errors: dict[str, str] = {}
    if contact.status != ContactStatus.ACTIVE:
        errors["contact"] = f"{contact} is not an active contact"
    elif not contact.email:
        errors["contact"] = f"{contact} has no e-mail address"
    elif contact.account.tier not in selectors.portal_tiers(contact.workspace):
        errors["contact"] = f"the portal is off for the {contact.account.get_tier_display().lower()} tier"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contact_invite(
    *, contact: Contact, actor: Member | None, notify: bool = True, now: dt.datetime | None = None
) -> PortalAccess:
    """Let a contact use the portal and e-mail them a sign-in link (again, if invited before).
    `notify=False` grants the access without an e-mail (the demo's history: invited long ago)."""
    _invitable(contact)
    now = now or timezone.now()
    access, created = PortalAccess.objects.get_or_create(
        contact=contact,
        defaults={"workspace_id": contact.workspace_id, "account_id": contact.account_id, "invited_at": now},
    )
    if not created:
        access.revoked_at, access.invited_by, access.invited_at = None, actor, now
        access.save(update_fields=["revoked_at", "invited_by", "invited_at"])
    elif actor is not None:
        access.invited_by = actor
        access.save(update_fields=["invited_by"])
    if notify:
        _send_link(contact, minutes=INVITE_HOURS * 60, invited_by=actor)
    return access


@transaction.atomic
def access_revoke(*, access: PortalAccess, actor: Member | None) -> PortalAccess:
    """Take a contact's portal access away: open sessions end, unused links stop working."""
    now = timezone.now()
    if access.revoked_at is None:
        access.revoked_at = now
        access.save(update_fields=["revoked_at"])
    PortalSession.objects.filter(access=access, ended_at__isnull=True).update(ended_at=now)
    SignInLink.objects.filter(contact_id=access.contact_id, used_at__isnull=True).update(used_at=now)
    return access


# The contact's side: sign-in ---------------------------------------------------------------------


def sign_in_request(*, email: str, address: str) -> SignInLink | None:
    """Someone asked for a sign-in link for `email`: mail one when an invited contact has that
    address and the portal is on for their tier. The answer on the page is the same either way (so
    the page does not tell who is a customer); RateLimited when the address or the client asked
    too often."""
    email = messaging_services.normalize_email(email or "")
    waits = [
        ratelimit.over(f"portal-email:{email}", limit=RATE_PER_EMAIL, window=RATE_WINDOW),
        ratelimit.over(f"portal-address:{address}", limit=RATE_PER_ADDRESS, window=RATE_WINDOW),
    ]
    wait = max((w for w in waits if w is not None), default=None)
    if wait is not None:
        raise RateLimited(wait)
    if not email:
        return None
    sent = None
    with transaction.atomic():
        # A person may be a contact in more than one workspace: each sends its own link.
        for access in selectors.accesses_for_email(email):
            sent = _send_link(access.contact, minutes=SIGN_IN_MINUTES, invited_by=None, address=address)
    return sent


@dataclass(frozen=True)
class SignedIn:
    session: PortalSession
    raw_key: str


@transaction.atomic
def sign_in_redeem(*, raw: str, now: dt.datetime | None = None) -> SignedIn | None:
    """Use a sign-in link: a new portal session, or None when the link is unknown, used or expired,
    or its contact may no longer use the portal. A link works once, even for two requests at once."""
    if not raw or len(raw) > 200:
        return None
    now = now or timezone.now()
    link = SignInLink.objects.select_for_update().filter(token_hash=hash_token(raw)).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    updated = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now)
    if not updated:
        return None
    access = selectors.usable_access(link.contact_id)
    if access is None:
        return None
    raw_key, key_hash = new_token()
    session = PortalSession.objects.create(
        workspace_id=access.workspace_id,
        contact=access.contact,
        access=access,
        key_hash=key_hash,
        expires_at=now + dt.timedelta(hours=SESSION_HOURS),
    )
    PortalAccess.objects.filter(pk=access.pk).update(last_signed_in_at=now)
    contact = access.contact
    _record(contact, ActivityKind.SIGN_IN, f"{contact} signed in to the customer portal", at=now)
    return SignedIn(session, raw_key)


def sign_out(*, session: PortalSession) -> None:
    PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=timezone.now())


def without_sign_in_link(body: str, placeholder: str = REDACTED) -> str:
    """The body with every line that holds a sign-in link replaced by `placeholder`."""
    return "\n".join(placeholder if "/portal/sign-in/" in line else line for line in body.splitlines())


def _redact_link(message: OutboundMessage, status: str, at: dt.datetime) -> None:
    """Once a sign-in e-mail has left (or never will), its stored body loses the link: the Messages
    page shows the e-mail, and the link would let whoever reads it in. A sent one is on the
    account's timeline as any e-mail is (without the link: the entry holds the subject)."""
    OutboundMessage.objects.filter(pk=message.pk).update(body=without_sign_in_link(message.body))
    if status == DeliveryStatus.SENT and message.account is not None:
        entry = timeline.email_sent_entry(
            message.account, contact=message.contact, subject=message.subject, message_pk=message.pk,
            source=message.source, occurred_at=at,
        )  # fmt: skip
        if not TimelineEntry.objects.filter(workspace_id=message.workspace_id, dedupe_key=entry.dedupe_key).exists():
            entry.save()


def _withheld(body: str) -> str:
    return without_sign_in_link(body, WITHHELD)


def register_delivery_handler() -> None:
    messaging_services.delivery_handler_register(SOURCE, _redact_link)
    # While it waits in the outbox, members read the e-mail without its link (only the customer gets it).
    messaging_selectors.body_redactor_register(SOURCE, _withheld)


# The contact's side: ticks and questions ---------------------------------------------------------


def _record(contact: Contact, kind: str, summary: str, *, at: dt.datetime | None = None, **data: Any) -> None:
    at = at or timezone.now()
    PortalActivity.objects.create(
        workspace_id=contact.workspace_id, account_id=contact.account_id, contact=contact, kind=kind, at=at,
        summary=summary[:300],
    )  # fmt: skip
    timeline.portal_entry(
        contact, signed_in=kind == ActivityKind.SIGN_IN, summary=summary, occurred_at=at, data={"kind": kind, **data}
    ).save()


@transaction.atomic
def commitment_tick(
    *, contact: Contact, commitment: Commitment, done: bool, now: dt.datetime | None = None
) -> Commitment:
    """The customer marks one of their side's commitments done (or open again)."""
    if commitment.plan.account_id != contact.account_id:
        raise ValidationError({"commitment": "belongs to another account"})
    if commitment.owner_contact_id is None:
        raise ValidationError({"commitment": "is ours to do: only the customer's own commitments are ticked here"})
    status = CommitmentStatus.DONE if done else CommitmentStatus.OPEN
    if commitment.status == status:
        return commitment
    plan_services.commitment_set_status(commitment=commitment, actor=None, status=status)
    what = "done" if done else "not done after all"
    _record(
        contact, ActivityKind.TICK, f"{contact} marked “{commitment.description}” {what} in the customer portal",
        at=now, commitment=commitment.pk, status=status,
    )  # fmt: skip
    return commitment


@transaction.atomic
def checklist_tick(
    *, contact: Contact, progress: MilestoneProgress, item: str, ticked: bool, now: dt.datetime | None = None
) -> MilestoneProgress:
    """The customer ticks a checklist item of a milestone on their side; the milestone completes
    when every item is ticked, as it does when the team ticks (journeys.services.milestone_tick)."""
    if progress.account_id != contact.account_id:
        raise ValidationError({"milestone": "belongs to another account"})
    if progress.key not in selectors.customer_milestone_keys(contact.account):
        raise ValidationError({"milestone": f"{progress.name} is ticked by the team, not in the portal"})
    today = local_day(now, contact.account.workspace.time_zone) if now is not None else None
    progress = journey_services.milestone_tick(progress=progress, item=item, actor=None, ticked=ticked, today=today)
    what = "ticked" if ticked else "unticked"
    _record(
        contact, ActivityKind.TICK, f"{contact} {what} “{item}” of {progress.name} in the customer portal",
        at=now, milestone=progress.key, item=item, ticked=ticked,
    )  # fmt: skip
    return progress


def question_ask(*, contact: Contact, text: str) -> InboundMessage:
    """The customer's question enters inbound routing as a portal message from them."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write your question."})
    if len(text) > MAX_QUESTION:
        raise ValidationError({"text": f"At most {MAX_QUESTION} characters."})
    with transaction.atomic():
        sender = f"{contact.full_name} <{contact.email}>" if contact.full_name else contact.email
        message, _ = routing_services.inbound_receive(
            workspace=contact.account.workspace,
            source=Source.PORTAL,
            text=text,
            sender=sender,
            subject=text.splitlines()[0][:120],
            account=contact.account,
        )
        _record(
            contact, ActivityKind.QUESTION, f"{contact} asked in the customer portal: {text[:200]}",
            inbound=message.pk,
        )  # fmt: skip
    return message
