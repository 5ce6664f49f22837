"""Playbook writes: saving definitions as versions, switching them on and off, snoozing accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.models import Account, Segment, TimelineEntry
from retain.lib.dates import local_day
from retain.messaging import services as messaging_services
from retain.messaging.models import OutboundMessage
from retain.playbooks.choices import StepKind
from retain.playbooks.definition import parse_yaml, refused
from retain.playbooks.models import DigestItem, Playbook, ScanMark, Snooze
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import audit_record
from retain.usage.models import UsageEvent
from retain.usage.vocabulary import TICKET_ESCALATED

# The high-water mark of product events read for ticket escalations (not a playbook key: those
# never start with an underscore).
TICKET_MARK = "_ticket-escalated"
TICKET_CATCH_UP = dt.timedelta(days=2)
TICKET_BATCH = 5000


def _member_emails(workspace: Workspace) -> set[str]:
    return {
        email.lower()
        for email in Member.objects.filter(workspace=workspace, is_active=True).values_list("user__email", flat=True)
    }


def _check_references(workspace: Workspace, definition: dict[str, Any], errors: dict[str, str]) -> None:
    """What only the workspace can say: that named members and segments exist."""
    emails = _member_emails(workspace)
    audience = definition.get("audience", {})
    for index, email in enumerate(audience.get("owner", [])):
        if email not in emails:
            errors[f"audience.owner[{index}]"] = f"{email} is not an active member of this workspace"
    segment = audience.get("segment")
    if segment is not None:
        by_id = Segment.objects.filter(workspace=workspace, pk=segment) if isinstance(segment, int) else None
        found = by_id if by_id is not None else Segment.objects.filter(workspace=workspace, name=segment)
        if not found.exists():
            errors["audience.segment"] = f"no saved segment {segment!r} in this workspace"
    for index, step in enumerate(definition["steps"]):
        ((kind, options),) = step.items()
        assignee = options.get("assignee", "") if kind in (StepKind.TASK, StepKind.ADVOCACY) else ""
        if "@" in assignee and assignee not in emails:
            errors[f"steps[{index}].{kind}.assignee"] = f"{assignee} is not an active member of this workspace"
        if kind == StepKind.SET and options["field"] == "owner" and options["value"] not in emails:
            errors[f"steps[{index}].set.value"] = f"{options['value']} is not an active member of this workspace"


@transaction.atomic
def playbook_save(
    *, workspace: Workspace, definition_yaml: str, actor: Member | None, filename: str = "<input>"
) -> Playbook:
    """Validate a YAML definition and save it: a new playbook, or the next version of its key.

    Saving the very same text again changes nothing (so importing a file twice is harmless).
    Enrolments already made keep the version that fired them; the new version fires from now on.
    """
    definition = parse_yaml(definition_yaml, filename)
    errors: dict[str, str] = {}
    _check_references(workspace, definition, errors)
    if errors:
        raise refused(definition_yaml, filename, errors)
    key = definition["key"]
    current = Playbook.objects.select_for_update().filter(workspace=workspace, key=key, is_current=True).first()
    if current is not None and current.definition == definition and current.source == definition_yaml:
        return current
    latest = Playbook.objects.filter(workspace=workspace, key=key).aggregate(high=Max("version"))["high"]
    is_active = current.is_active if current is not None else True
    Playbook.objects.filter(workspace=workspace, key=key, is_current=True).update(is_current=False)
    playbook = Playbook.objects.create(
        workspace=workspace,
        key=key,
        name=definition["name"],
        version=(latest or 0) + 1,
        trigger_kind=definition["trigger"]["kind"],
        definition=definition,
        source=definition_yaml,
        is_active=is_active,
        is_current=True,
        created_by=actor,
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action=AuditAction.PLAYBOOK_SAVED,
        target=playbook,
        detail={"key": key, "version": playbook.version},
    )
    return playbook


@transaction.atomic
def playbook_set_active(*, playbook: Playbook, active: bool, actor: Member | None) -> Playbook:
    """Switch a playbook (all its versions) on or off; an inactive one fires nothing new.

    Enrolments already made still run: switching off stops new occurrences, not promises made.
    """
    was_active = Playbook.objects.filter(workspace=playbook.workspace_id, key=playbook.key, is_active=True).exists()
    Playbook.objects.filter(workspace=playbook.workspace_id, key=playbook.key).update(is_active=active)
    if active and not was_active:
        # Facts written while it was off are not its to act on: its event trigger reads from now.
        high = TimelineEntry.objects.filter(workspace=playbook.workspace_id).aggregate(high=Max("pk"))["high"] or 0
        # Made here if no scan has moved it yet (a scan leaves entries younger than EVENT_SETTLE).
        ScanMark.objects.update_or_create(
            workspace_id=playbook.workspace_id,
            playbook_key=playbook.key,
            defaults={"last_entry_id": high, "scanned_at": timezone.now()},
        )
    if active != was_active:
        audit_record(
            workspace=playbook.workspace,
            actor=actor,
            action=AuditAction.PLAYBOOK_SWITCHED,
            target=playbook,
            detail={"key": playbook.key, "is_active": [was_active, active]},
        )
    playbook.is_active = active
    return playbook


def snooze_set(*, account: Account, until: dt.date, reason: str = "", actor: Member | None) -> Snooze:
    """No playbook step runs for the account until `until` (inclusive); due steps are skipped."""
    if not isinstance(until, dt.date):
        raise ValidationError({"until": "must be a date"})
    return Snooze.objects.create(
        workspace_id=account.workspace_id, account=account, until=until, reason=reason.strip()[:300], by=actor
    )


def snooze_clear(*, account: Account, actor: Member | None) -> int:
    """End every snooze of the account now."""
    deleted, _ = Snooze.objects.filter(account=account).delete()
    return deleted


@transaction.atomic
def ticket_escalations_record(*, workspace: Workspace, now: dt.datetime) -> int:
    """Turn new `Ticket Escalated` product events into timeline facts, once each, for playbooks.

    Reads events past a high-water mark (the first run looks back two days); each fact carries
    the event's message id as its dedupe key, so overlapping runs cannot write one twice. Events
    whose account is not known yet when they are read are not turned into facts. The facts and
    the high-water mark move in one transaction.
    """
    mark, _ = ScanMark.objects.get_or_create(
        workspace=workspace, playbook_key=TICKET_MARK, defaults={"last_entry_id": -1, "scanned_at": now}
    )
    events = UsageEvent.objects.filter(workspace=workspace, type="track", name=TICKET_ESCALATED)
    if mark.last_entry_id < 0:
        events = events.filter(received_at__gte=now - TICKET_CATCH_UP)
    else:
        events = events.filter(pk__gt=mark.last_entry_id)
    batch = list(events.filter(account__isnull=False).select_related("account").order_by("pk")[:TICKET_BATCH])
    high = max([event.pk for event in batch], default=mark.last_entry_id)
    if batch:
        entries = [
            timeline.ticket_escalated_entry(
                event.account,  # type: ignore[arg-type]  # the events were selected with an account
                message_id=event.message_id,
                properties=event.properties if isinstance(event.properties, dict) else {},
                occurred_at=event.timestamp,
            )
            for event in batch
        ]
        TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True)
    if high != mark.last_entry_id or mark.last_entry_id < 0:
        ScanMark.objects.filter(pk=mark.pk).update(last_entry_id=max(high, 0), scanned_at=now)
    return len(batch)


# Daily digests ------------------------------------------------------------------------------------


def digest_text(member: Member, day: dt.date, items: list[DigestItem]) -> tuple[str, str]:
    """One member's digest for one day, as (subject, body): every held alert, grouped by account."""
    lines = [
        f"Hello {member.user.first_name or member.user.email},",
        "",
        f"What your playbooks raised on {day:%A %d %B %Y}:",
        "",
    ]
    lines += [f"- {item.text}" for item in items]
    lines += ["", f"Your tasks: {settings.SITE_URL}{reverse('tasks', kwargs={'slug': member.workspace.slug})}"]
    count = len(items)
    subject = f"Playbook digest for {day.isoformat()}: {count} item{'s' if count != 1 else ''}"
    return subject, "\n".join(lines) + "\n"


def _pending_digest_items(workspace: Workspace, today: dt.date) -> list[DigestItem]:
    return list(
        DigestItem.objects.filter(workspace=workspace, sent_at__isnull=True, day__lt=today).order_by(
            "member_id", "day", "pk"
        )
    )


def digests_send(*, workspace: Workspace, now: dt.datetime | None = None) -> int:
    """Queue for each member one e-mail with the alerts held for them on each day before today.

    The digest becomes an outbound message (key "digest:<member>:<day>") in the same transaction
    that marks its items handed over, so the outbox owns the sending: retries with backoff, the
    same Message-ID on every attempt, and a row on the Messages page. Items that arrive for a day
    whose digest was already queued go out in a follow-up digest. Returns the number queued.
    """
    now = now or timezone.now()
    groups: dict[tuple[int, dt.date], list[int]] = {}
    for item in _pending_digest_items(workspace, local_day(now, workspace.time_zone)):
        groups.setdefault((item.member_id, item.day), []).append(item.pk)
    queued = 0
    for (member_id, day), ids in groups.items():
        with transaction.atomic():
            # Locked and read again: a run at the same time that queued them first wins.
            items = list(
                DigestItem.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, sent_at__isnull=True)
                .select_related("member__user", "member__workspace")
                .order_by("account_id", "pk")
            )
            if not items:
                continue
            member = items[0].member
            subject, body = digest_text(member, day, items)
            key = f"digest:{member_id}:{day.isoformat()}"
            if OutboundMessage.objects.filter(workspace=workspace, idempotency_key=key).exists():
                # Late items of a day already queued: their own digest, keyed by the first of them
                # so that it is queued once however many runs see them.
                key = f"{key}:{min(item.pk for item in items)}"
            messaging_services.member_email_enqueue(
                workspace=workspace,
                member=member,
                subject=subject,
                body=body,
                idempotency_key=key,
                source="playbook digest",
            )
            DigestItem.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=now)
        queued += 1
    return queued
