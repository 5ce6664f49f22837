"""In-app notifications: what needs a member, written where the event happens.

The apps below team never import it (docs/architecture.md): team registers these handlers with the
hooks they offer (accounts.hooks for owner changes and notes, tasks.hooks for task owners,
health.hooks for band moves) from its AppConfig.ready. Handlers run inside the event's transaction,
so an event undone takes its notifications with it. Nobody is told about what they did themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from retain.accounts.models import Account, Touchpoint
from retain.health.choices import Band
from retain.tasks.models import Task
from retain.team.choices import NotificationKind
from retain.team.models import Notification
from retain.tenancy.models import Member

MENTION = re.compile(r"(?<![\w.@])@([A-Za-z][\w.-]*[A-Za-z0-9])")
TEXT_MAX = 300


def _clip(text: str, limit: int = TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write(rows: Iterable[Notification]) -> int:
    rows = list(rows)
    for row in rows:
        row.text = _clip(row.text)
    # ignore_conflicts: a keyed notification already written stays the only one.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _by(actor: Member | None) -> str:
    return f" by {actor.display_name}" if actor is not None else ""


# Hook handlers ------------------------------------------------------------------------------------


def on_account_created(account: Account, actor: Member | None) -> None:
    """accounts.hooks: an account created straight into someone's book tells them."""
    if account.owner_id is not None:
        on_owner_changed([account.pk], account.owner, actor)


def on_owner_changed(account_ids: list[int], new_owner: Member | None, actor: Member | None) -> None:
    """accounts.hooks: the new owner hears of each account now in their book."""
    if new_owner is None or (actor is not None and actor.pk == new_owner.pk):
        return
    accounts = Account.objects.filter(pk__in=account_ids, workspace_id=new_owner.workspace_id).only("pk", "name")
    _write(
        Notification(
            workspace_id=new_owner.workspace_id,
            member=new_owner,
            kind=NotificationKind.ACCOUNT_ASSIGNED,
            text=f"{account.name} is now in your book (assigned{_by(actor)})",
            account_id=account.pk,
            actor=actor,
        )
        for account in accounts
    )


def on_task_assigned(task: Task, actor: Member | None) -> None:
    """tasks.hooks: the owner hears of a task given to them; an escalation also tells the owner of
    the task it escalates."""
    owner = task.owner
    if owner is None:
        return
    account = task.account
    rows: list[Notification] = []
    escalated = task.escalated_from
    if actor is None or actor.pk != owner.pk:
        rows.append(
            Notification(
                workspace_id=task.workspace_id,
                member=owner,
                kind=NotificationKind.ESCALATION if escalated is not None else NotificationKind.TASK_ASSIGNED,
                text=(
                    f"Escalated to you on {account.name}: {task.title}"
                    if escalated is not None
                    else f"Task for you on {account.name}: {task.title} (due {task.due_on.isoformat()})"
                ),
                account=account,
                task=task,
                actor=actor,
            )
        )
    if escalated is not None and escalated.owner_id is not None and escalated.owner_id != owner.pk:
        rows.append(
            Notification(
                workspace_id=task.workspace_id,
                member_id=escalated.owner_id,
                kind=NotificationKind.ESCALATION,
                text=f"Your task on {account.name} was escalated to {owner.display_name}: {escalated.title}",
                account=account,
                task=escalated,
                actor=actor,
            )
        )
    _write(rows)


def mentioned(workspace_id: int, text: str) -> list[Member]:
    """The active members a text names with @handle: the part of their e-mail address before the @,
    their first name, or first.last (any case)."""
    handles = {m.group(1).lower() for m in MENTION.finditer(text or "")}
    if not handles:
        return []
    found = []
    for member in Member.objects.filter(workspace_id=workspace_id, is_active=True).select_related("user"):
        user = member.user
        own = {
            (user.email or "").split("@")[0].lower(),
            user.first_name.replace(" ", "").lower(),
            f"{user.first_name}.{user.last_name}".replace(" ", "").lower().strip("."),
        } - {""}
        if own & handles:
            found.append(member)
    return found


def on_touchpoint_logged(touchpoint: Touchpoint, actor: Member | None) -> None:
    """accounts.hooks: members @mentioned in a note (or any touchpoint's summary or next step)."""
    text = f"{touchpoint.summary}\n{touchpoint.next_step}"
    author = actor or touchpoint.member
    people = [m for m in mentioned(touchpoint.workspace_id, text) if author is None or m.pk != author.pk]
    account = touchpoint.account
    who = author.display_name if author is not None else "Someone"
    _write(
        Notification(
            workspace_id=touchpoint.workspace_id,
            member=person,
            kind=NotificationKind.MENTION,
            text=f"{who} mentioned you in a {touchpoint.get_kind_display().lower()} on {account.name}: "
            f"{touchpoint.summary}",
            account=account,
            actor=author,
        )
        for person in people
    )


def on_bands_changed(workspace_id: int, day: dt.date, changes: list[tuple[int, str, str]]) -> None:
    """health.hooks: an owner hears when one of their accounts turned red (once per move and day)."""
    red = {account_id: previous for account_id, band, previous in changes if band == Band.RED and previous != Band.RED}
    if not red:
        return
    accounts = Account.objects.filter(pk__in=list(red), workspace_id=workspace_id, owner__isnull=False).only(
        "pk", "name", "owner_id"
    )
    _write(
        Notification(
            workspace_id=workspace_id,
            member_id=int(account.owner_id or 0),
            kind=NotificationKind.TURNED_RED,
            text=f"{account.name} turned red on {day.isoformat()} (was {red[account.pk] or 'not scored'})",
            account_id=account.pk,
            key=f"red:{account.pk}:{day.isoformat()}",
        )
        for account in accounts
    )


# Reading them ---------------------------------------------------------------------------------------


def for_member(member: Member) -> QuerySet[Notification]:
    """The member's own notifications, newest first (nobody else's, whatever their role)."""
    return Notification.objects.filter(workspace_id=member.workspace_id, member=member).select_related(
        "account", "task", "actor__user"
    )


def unread_count(member: Member) -> int:
    return Notification.objects.filter(workspace_id=member.workspace_id, member=member, read_at__isnull=True).count()


@transaction.atomic
def mark_read(*, member: Member, ids: Iterable[int] | None = None) -> int:
    """Mark the member's notifications read: these ids, or all of them; returns how many changed."""
    rows = Notification.objects.filter(workspace_id=member.workspace_id, member=member, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())
