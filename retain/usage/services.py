"""Writes for product usage: storing ingested calls and applying identify and group calls.

A group call whose groupId names no account either creates the account, marked as coming from an
unknown groupId (not scored until it pays: accounts.lifecycle), or, when the workspace holds
unknown groups, is kept as an UnmatchedGroup until an admin links it to an account or creates
one; a linked groupId's calls and events go to its account from then on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DataError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.models import Account, Contact
from retain.tenancy.choices import AuditAction, UnknownGroups
from retain.tenancy.models import Member, Workspace, WriteKey
from retain.tenancy.services import audit_record
from retain.usage import hooks
from retain.usage.events import Checked, Event, Rejection
from retain.usage.limits import write_turns
from retain.usage.models import IngestRejection, RollupDirty, UnmatchedGroup, UsageEvent, UsageUser
from retain.usage.store import Stored, insert_events

ACCOUNT_TRAITS = {"name", "website", "domain", "industry", "employees"}
CONTACT_TRAITS = {"email", "firstName", "first_name", "lastName", "last_name", "title", "phone"}
EXCERPT_CHARS = 500
EXCERPT_DEPTH = 20
# identify and group calls committed per transaction (about half a second of work at most).
IDENTITY_CHUNK = 50
LOCK_POLL_SECONDS = 0.1  # the longest sleep of SQLite's busy handler between two tries
# Rejections are for fixing a sender, not an archive: a month covers the release that fixes it.
REJECTION_RETENTION_DAYS = 30
# Rejection rows written one by one per request; the rest are counted on a row per reason (as many
# reasons again), and any further reasons on one row.
REJECTIONS_KEPT = 5
OTHER_REASONS = "other reasons (more refused events in the same request)"
log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def _email(traits: dict[str, Any]) -> str:
    value = traits.get("email")
    if not isinstance(value, str):
        return ""
    value = value.strip().lower()
    if len(value) > UsageUser._meta.get_field("email").max_length:  # type: ignore[operator]  # get_field may return a relation; these names are plain columns
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _text(traits: dict[str, Any], *keys: str, limit: int = 100) -> str | None:
    for key in keys:
        value = traits.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value).strip()[:limit]
    return None


def _domain(traits: dict[str, Any]) -> str | None:
    value = _text(traits, "domain", "website", limit=255)
    if value is None:
        return None
    host = value.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removeprefix("www.")


def _usage_user(workspace: Workspace, event: Event) -> UsageUser:
    user, created = UsageUser.objects.get_or_create(
        workspace=workspace,
        user_id=event.user_id or event.anonymous_id,
        defaults={"first_seen_at": event.timestamp, "last_seen_at": event.timestamp},
    )
    if not created and event.timestamp > user.last_seen_at:
        user.last_seen_at = event.timestamp
    return user


def _attach_contact(user: UsageUser, account: Account | None) -> None:
    """Make sure an identified user with an e-mail is a contact of their account."""
    fields: dict[str, Any] = {}
    if user.email:
        fields["email"] = user.email
    first = _text(user.traits, "firstName", "first_name")
    last = _text(user.traits, "lastName", "last_name")
    title = _text(user.traits, "title", limit=200)
    if first is not None:
        fields["first_name"] = first
    if last is not None:
        fields["last_name"] = last
    if title is not None:
        fields["title"] = title
    contact = user.contact
    if contact is None and user.email:
        contact = Contact.objects.filter(workspace_id=user.workspace_id, email=user.email).first()
    if contact is None:
        contact = Contact.objects.filter(workspace_id=user.workspace_id, external_id=user.user_id).first()
    if contact is not None:
        changes = {k: v for k, v in fields.items() if getattr(contact, k) != v}
        if changes:
            account_services.contact_update(contact=contact, actor=None, via="ingest", **changes)
    elif account is not None and user.email:
        contact = account_services.contact_create(
            account=account, actor=None, via="ingest", external_id=user.user_id, **fields
        )
    user.contact = contact


def _identify(workspace: Workspace, event: Event) -> None:
    user = _usage_user(workspace, event)
    user.traits = {**user.traits, **event.traits}
    user.email = _email(user.traits) or user.email
    _attach_contact(user, user.account)
    user.save()


def _account_fields(traits: dict[str, Any]) -> dict[str, Any]:
    """The account fields a group call's traits set; the other traits are kept as `traits`."""
    fields: dict[str, Any] = {}
    if (name := _text(traits, "name", limit=255)) is not None:
        fields["name"] = name
    if (domain := _domain(traits)) is not None:
        fields["domain"] = domain
    if (industry := _text(traits, "industry")) is not None:
        fields["industry"] = industry
    employees = traits.get("employees")
    if isinstance(employees, int) and not isinstance(employees, bool) and employees >= 0:
        fields["employees"] = employees
    return fields


def _extra_traits(traits: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in traits.items() if k not in ACCOUNT_TRAITS}


def _group(workspace: Workspace, event: Event) -> None:
    fields = _account_fields(event.traits)
    extra = _extra_traits(event.traits)
    account = Account.objects.filter(workspace=workspace, external_id=event.group_id).first()
    if account is None:
        linked = (
            UnmatchedGroup.objects.filter(workspace=workspace, group_id=event.group_id)
            .select_related("account")
            .first()
        )
        if linked is not None and linked.account is not None:
            # A groupId an admin linked to an account (a typo for it, say): its calls name that
            # account but must not rename it with the typo's traits.
            _attach_user(workspace, event, linked.account)
            return
        if workspace.unknown_groups == UnknownGroups.HOLD:
            _hold(workspace, event, linked)
            return
        fields.setdefault("name", event.group_id)
        account = account_services.account_create(
            workspace=workspace,
            actor=None,
            via="ingest",
            external_id=event.group_id,
            traits=extra,
            from_unknown_group=True,
            **fields,
        )
    else:
        if extra:
            fields["traits"] = {**account.traits, **extra}
        account_services.account_update(account=account, actor=None, via="ingest", **fields)
    _attach_user(workspace, event, account)


def _attach_user(workspace: Workspace, event: Event, account: Account) -> None:
    user = _usage_user(workspace, event)
    user.account = account
    user.held_group_id = ""
    _attach_contact(user, account)
    user.save()
    _attribute_earlier_events(workspace, account, event.group_id, user.user_id)


def _hold(workspace: Workspace, event: Event, held: UnmatchedGroup | None) -> None:
    """Keep an unknown groupId for an admin, with its latest traits; its user waits with it."""
    if held is None:
        UnmatchedGroup.objects.get_or_create(
            workspace=workspace,
            group_id=event.group_id,
            defaults={"first_seen_at": event.timestamp, "last_seen_at": event.timestamp},
        )
    # Locked: two requests holding the same groupId at once must both be counted.
    held = UnmatchedGroup.objects.select_for_update().get(workspace=workspace, group_id=event.group_id)
    held.calls += 1
    held.traits = {**held.traits, **event.traits}
    held.last_seen_at = max(held.last_seen_at, event.timestamp)
    held.first_seen_at = min(held.first_seen_at, event.timestamp)
    held.save()
    user = _usage_user(workspace, event)
    user.held_group_id = event.group_id
    user.save()


def resolve_accounts(workspace_id: int, events: list[Event]) -> dict[int, int]:
    """Each event's account: the one its group id names (or that group id was linked to), else the
    one its user's group call named.

    On the ingest hot path: plain queries (not ORM querysets, whose building costs more than the
    look-up itself), chunked under SQLite's limit of bound parameters; linked group ids are looked
    up only for the group ids no account has.
    """
    group_ids = sorted({event.group_id for event in events if event.group_id})
    user_keys = sorted({event.user_id or event.anonymous_id for event in events if not event.group_id})
    by_group = _lookup(
        f"SELECT external_id, id FROM {Account._meta.db_table} WHERE workspace_id = %s AND external_id IN ({{}})",
        workspace_id,
        group_ids,
    )
    unknown = [group_id for group_id in group_ids if group_id not in by_group]
    if unknown:
        by_group.update(
            _lookup(
                f"SELECT group_id, account_id FROM {UnmatchedGroup._meta.db_table} "
                "WHERE workspace_id = %s AND account_id IS NOT NULL AND group_id IN ({})",
                workspace_id,
                unknown,
            )
        )
    by_user = _lookup(
        f"SELECT user_id, account_id FROM {UsageUser._meta.db_table} "
        "WHERE workspace_id = %s AND account_id IS NOT NULL AND user_id IN ({})",
        workspace_id,
        user_keys,
    )
    resolved: dict[int, int] = {}
    for event in events:
        account_id = (
            by_group.get(event.group_id) if event.group_id else by_user.get(event.user_id or event.anonymous_id)
        )
        if account_id is not None:
            resolved[event.index] = account_id
    return resolved


def _lookup(sql: str, workspace_id: int, keys: list[str], chunk: int = 500) -> dict[str, int]:
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            cursor.execute(sql.format(", ".join(["%s"] * len(part))), [workspace_id, *part])
            found.update(cursor.fetchall())
    return found


def _attribute_earlier_events(workspace: Workspace, account: Account, group_id: str, user_key: str) -> None:
    """Events that arrived before their account was known now belong to it; its rollups are redone."""
    orphans = UsageEvent.objects.filter(workspace=workspace, account__isnull=True)
    matched = orphans.filter(
        Q(group_id=group_id) | Q(group_id="", user_id=user_key) | Q(group_id="", user_id="", anonymous_id=user_key)
    )
    if matched.update(account=account):
        RollupDirty.objects.update_or_create(workspace=workspace, account=account)


# Unmatched groups ---------------------------------------------------------------------------------


@transaction.atomic
def unmatched_group_link(*, group: UnmatchedGroup, account: Account, actor: Member) -> int:
    """Make a held groupId stand for an existing account: its waiting users and events move to the
    account, and its later calls and events go there. Returns how many events moved."""
    if account.workspace_id != group.workspace_id:
        raise ValidationError({"account": "no such account in this workspace"})
    return _resolve(group, account, actor, "linked")


@transaction.atomic
def unmatched_group_create_account(*, group: UnmatchedGroup, actor: Member) -> Account:
    """Create the account a held groupId names, from its latest traits, and move its users and
    events to it. An admin made it, so it is not marked as coming from an unknown groupId."""
    fields = _account_fields(group.traits)
    fields.setdefault("name", group.group_id)
    account = account_services.account_create(
        workspace=group.workspace,
        actor=actor,
        via="web",
        external_id=group.group_id,
        traits=_extra_traits(group.traits),
        **fields,
    )
    _resolve(group, account, actor, "created")
    return account


def _resolve(group: UnmatchedGroup, account: Account, actor: Member, how: str) -> int:
    locked = UnmatchedGroup.objects.select_for_update().get(pk=group.pk)
    if locked.account_id is not None:
        raise ValidationError({"group": f"{group.group_id!r} is already linked to an account"})
    workspace = account.workspace
    users = list(UsageUser.objects.filter(workspace=workspace, held_group_id=group.group_id, account__isnull=True))
    for user in users:
        user.account = account
        user.held_group_id = ""
        _attach_contact(user, account)
        user.save()
    waiting = UsageEvent.objects.filter(workspace=workspace, account__isnull=True)
    keys = [user.user_id for user in users]
    moved = waiting.filter(group_id=group.group_id).update(account=account)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        moved += waiting.filter(
            Q(group_id="", user_id__in=chunk) | Q(group_id="", user_id="", anonymous_id__in=chunk)
        ).update(account=account)
    if moved:
        RollupDirty.objects.update_or_create(workspace=workspace, account=account)
    locked.account = account
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    locked.save(update_fields=["account", "resolved_at", "resolved_by"])
    group.account, group.resolved_at, group.resolved_by = account, locked.resolved_at, actor
    audit_record(
        workspace=workspace,
        actor=actor,
        action=AuditAction.UNMATCHED_GROUP_RESOLVED,
        target=account,
        detail={"group_id": group.group_id, "how": how, "events": moved, "users": len(users)},
    )
    return moved


def ingest_calls(
    *, write_key: WriteKey, checked: Checked, received_at: dt.datetime, raw_calls: list[Any]
) -> IngestResult:
    """Store one request's accepted calls and its rejections; nothing is acknowledged before it is committed.

    identify and group calls update contacts and accounts through the accounts services first,
    each in a savepoint: one whose traits the services refuse becomes a rejection, not a failure.
    They are committed in chunks of IDENTITY_CHUNK before the events: each costs milliseconds of
    ORM work, and 2,500 of them in one transaction held SQLite's only write lock for half a minute,
    so another workspace's ingest waited its 30 seconds and got 503. If a later chunk or the events
    then fail, the request is answered 503 and the sender resends it: applying the same traits
    again changes nothing. The events, survey answers and rejections go in one last transaction.
    Raises DatabaseError when the store fails.
    """
    result = IngestResult(rejections=list(checked.rejections), duplicates=checked.duplicates)
    refused: set[int] = set()
    identity = [event for event in checked.events if event.type in ("identify", "group")]
    held = 0.0
    for start in range(0, len(identity), IDENTITY_CHUNK):
        if start and connection.vendor == "sqlite":
            # A writer in another process polls for the lock up to every 100 ms: leave it free
            # that long (at most as long as the last chunk held it) so that writer gets a turn.
            time.sleep(min(held, LOCK_POLL_SECONDS))
        began = time.monotonic()
        with _write_turn(), transaction.atomic():
            for event in identity[start : start + IDENTITY_CHUNK]:
                rejection = _apply_identity(write_key.workspace, event)
                if rejection is not None:
                    result.rejections.append(rejection)
                    refused.add(event.index)
        held = time.monotonic() - began
    keep = [event for event in checked.events if event.index not in refused]
    with _write_turn(), transaction.atomic():
        handled = [(handler, [event for event in keep if handler.wants(event)]) for handler in hooks.event_handlers()]
        handled = [(handler, events) for handler, events in handled if events]
        # Only events stored now go to their handlers: a resent batch must not answer twice.
        wanted = [event for _, events in handled for event in events]
        earlier = _stored_message_ids(write_key.workspace_id, wanted) if wanted else set()
        accounts = resolve_accounts(write_key.workspace_id, keep)
        try:
            with transaction.atomic():
                stored = insert_events(write_key.workspace_id, write_key.pk, keep, accounts)
        except DataError:
            stored, store_refused = _insert_one_by_one(write_key, keep, accounts)
            result.rejections.extend(store_refused)
            refused_ids = {rejection.message_id for rejection in store_refused}
            handled = [
                (handler, [event for event in events if event.message_id not in refused_ids])
                for handler, events in handled
            ]
        for handler, events in handled:
            if events:
                handler.record(write_key.workspace, [event for event in events if event.message_id not in earlier])
        result.accepted = stored.inserted
        result.duplicates += stored.duplicates
        if result.rejections:
            IngestRejection.objects.bulk_create(_rejection_rows(write_key, received_at, result.rejections, raw_calls))
    return result


def _rejection_rows(
    write_key: WriteKey, received_at: dt.datetime, rejections: list[Rejection], raw_calls: list[Any]
) -> list[IngestRejection]:
    """The first few rejections of a request one row each, the rest counted by reason.

    A sender fixes its calls from a few examples and the counts; a row per call would let one
    request of refused calls write thousands of rows.
    """
    ordered = sorted(rejections, key=lambda r: r.index)
    shown, rest = ordered[:REJECTIONS_KEPT], ordered[REJECTIONS_KEPT:]

    def row(rejection: Rejection, reason: str, count: int) -> IngestRejection:
        return IngestRejection(
            workspace_id=write_key.workspace_id,
            write_key=write_key,
            received_at=received_at,
            message_id=rejection.message_id[:200],
            reason=reason[:300],
            excerpt=_excerpt(raw_calls, rejection.index),
            count=count,
        )

    rows = [row(rejection, rejection.reason, 1) for rejection in shown]
    by_reason: dict[str, list[Rejection]] = {}
    for rejection in rest:
        by_reason.setdefault(rejection.reason, []).append(rejection)
    groups = sorted(by_reason.values(), key=len, reverse=True)
    rows.extend(row(group[0], group[0].reason, len(group)) for group in groups[:REJECTIONS_KEPT])
    others = [rejection for group in groups[REJECTIONS_KEPT:] for rejection in group]
    if others:
        rows.append(row(others[0], OTHER_REASONS, len(others)))
    return rows


def _write_turn() -> AbstractContextManager[None]:
    return write_turns.turn() if connection.vendor == "sqlite" else nullcontext()


def _apply_identity(workspace: Workspace, event: Event) -> Rejection | None:
    """Apply one identify or group call in a savepoint; a call the services refuse is its rejection."""
    try:
        with transaction.atomic():
            (_identify if event.type == "identify" else _group)(workspace, event)
    except ValidationError as exc:
        reason = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return Rejection(event.index, event.message_id, f"refused traits ({reason})")
    except DataError as exc:
        # A value the columns cannot hold is the event's fault and will not improve on a retry:
        # refuse the event, never answer the batch with a retryable 503.
        return Rejection(event.index, event.message_id, _refused(exc))
    return None


def _refused(exc: DataError) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"the store refused a value ({first_line[:200]})"


def _insert_one_by_one(
    write_key: WriteKey, events: list[Event], accounts: dict[int, int]
) -> tuple[Stored, list[Rejection]]:
    """The slow path after a batch insert failed on a value: each event in its own savepoint.

    Validation keeps every value within its column, so this runs only if a check is missing; it
    still keeps the good events and names the bad ones instead of failing the whole request.
    """
    inserted = duplicates = 0
    refused: list[Rejection] = []
    for event in events:
        try:
            with transaction.atomic():
                one = insert_events(write_key.workspace_id, write_key.pk, [event], accounts)
        except DataError as exc:
            log.warning("ingest: event %s refused by the store: %s", event.index, exc)
            refused.append(Rejection(event.index, event.message_id, _refused(exc)))
            continue
        inserted += one.inserted
        duplicates += one.duplicates
    return Stored(inserted, duplicates), refused


def rejections_expire(*, now: dt.datetime) -> int:
    """Delete rejections older than REJECTION_RETENTION_DAYS; returns how many went."""
    cutoff = now - dt.timedelta(days=REJECTION_RETENTION_DAYS)
    deleted, _ = IngestRejection.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def _stored_message_ids(workspace_id: int, events: list[Event]) -> set[str]:
    ids = {event.message_id for event in events}
    return set(
        UsageEvent.objects.filter(workspace_id=workspace_id, message_id__in=ids).values_list("message_id", flat=True)
    )


def _excerpt(raw_calls: list[Any], index: int) -> str:
    if not 0 <= index < len(raw_calls):
        return ""
    # Cut deep nesting before encoding: an event refused for its depth may nest a thousand levels,
    # past the encoder's recursion limit.
    text = json.dumps(_cut(raw_calls[index], EXCERPT_DEPTH), default=str, ensure_ascii=True)
    return text[:EXCERPT_CHARS]


def _cut(value: Any, depth: int) -> Any:
    if not isinstance(value, (dict, list)):
        return value
    if depth == 0:
        return "…"
    if isinstance(value, dict):
        return {key: _cut(item, depth - 1) for key, item in value.items()}
    return [_cut(item, depth - 1) for item in value]
