"""Data ownership: a workspace's whole data out (export) and back in (import), a contact's personal
data erased on request, and a workspace deleted with every row it owns.

Each is one function taking the acting member (None from the command line), so an audit log hooks
in at one place. This app reads and writes every other app's tables on purpose: export, import and
deletion must cover every table, and do so from the models (see tables.py), not from a list each
app would have to keep up to date.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from retain.accounts import timeline
from retain.accounts.choices import ContactStatus
from retain.accounts.models import Contact
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage, Suppression
from retain.ownership.archive import Archive, write_archive
from retain.ownership.erasure import ERASED, needles_for, scrub
from retain.ownership.loader import Loader
from retain.ownership.tables import owned_tables
from retain.surveys.models import Invitation, Response
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import audit_record
from retain.usage.models import DailyUserUsage, UsageEvent, UsageUser

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


def _quiet(table: str, rows: int) -> None:
    pass


# Export and import ---------------------------------------------------------------------------


def workspace_export(
    *, actor: Member | None, workspace: Workspace, out: IO[bytes], progress: Progress = _quiet
) -> dict[str, Any]:
    """Write the workspace's every table to `out` as one archive; returns its manifest.

    Every table is read from one snapshot, or a row written during the export (a timeline entry
    about a contact added meanwhile) could point at a row the archive lacks and the archive would
    not import. SQLite's read transaction is one snapshot already; PostgreSQL's default isolation
    takes a new one per statement, so the transaction asks for REPEATABLE READ, which must be its
    first statement (when called inside an outer transaction, that one's isolation holds).
    """
    outermost = not transaction.get_connection().in_atomic_block
    with transaction.atomic():
        connection = transaction.get_connection()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        manifest = write_archive(workspace, out, progress)
    # Recorded after the read-only snapshot: who took the whole workspace out, and how much of it.
    with transaction.atomic():
        audit_record(
            workspace=workspace,
            actor=actor,
            action=AuditAction.EXPORT,
            target="whole workspace",
            detail={"tables": len(manifest["tables"]), "rows": sum(t["rows"] for t in manifest["tables"])},
        )
    logger.info(
        "workspace %s exported by %s: %d rows",
        workspace.slug,
        actor.pk if actor else "command line",
        sum(t["rows"] for t in manifest["tables"]),
    )
    return manifest


@transaction.atomic
def workspace_import(
    *, actor: Member | None, source: IO[bytes], slug: str, name: str | None = None, progress: Progress = _quiet
) -> Workspace:
    """Create workspace `slug` from an archive: all of it, or (on any error) nothing."""
    slug = slug.strip()
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError({"workspace": f"{slug!r} already exists; an archive is imported into a new workspace"})
    archive = Archive(source)
    try:
        loader = Loader(archive, progress)
        loader.load_users()
        workspace = loader.load_workspace(slug, name)
        for spec in owned_tables():
            if spec.label != "tenancy.workspace":
                loader.load_table(spec)
    finally:
        archive.close()
    logger.info("workspace %s imported by %s", workspace.slug, actor.pk if actor else "command line")
    return workspace


# Erasure ------------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure changed, in counts only: safe to log and to show."""

    contact_id: int
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, count: int) -> None:
        if count:
            self.rows[what] = self.rows.get(what, 0) + count


@transaction.atomic
def contact_erase(*, actor: Member | None, contact: Contact, via: str = "") -> Erasure:
    """Erase a contact's personal data (GDPR art. 17) and keep every aggregate it counted in.

    The contact row stays as a nameless tombstone (status `erased`) so NPS, response rates, touch
    counts and commitments keep adding up; its e-mail, names, title, phone and CRM id are blanked.
    Their product users are deleted and their user id replaced by a random pseudonym in events and
    daily usage (active-user counts stay right); identify calls lose their traits; survey comments
    are blanked; messages to them lose address, subject and body, and any not yet sent is stopped;
    the suppression of their address goes (it is their address). Finally every text and JSON column
    of the workspace is swept for their e-mail and name (erasure.py). The timeline records that an
    erasure happened, with counts and the contact's id, never what was erased.
    """
    contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
    if contact.status == ContactStatus.ERASED:
        raise ValidationError({"contact": "has already been erased"})
    ws = contact.workspace_id
    report = Erasure(contact_id=contact.pk)
    email = contact.email.strip().lower()
    needles = needles_for(email, contact.full_name, contact.account_id)

    users = UsageUser.objects.filter(workspace_id=ws).filter(
        Q(contact=contact) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    )
    user_ids = set(users.values_list("user_id", flat=True))
    if email and UsageEvent.objects.filter(workspace_id=ws, user_id__iexact=email).exists():
        user_ids |= set(
            UsageEvent.objects.filter(workspace_id=ws, user_id__iexact=email)
            .values_list("user_id", flat=True)
            .distinct()
        )
    report.add("product users", users.delete()[0])
    for user_id in user_ids:
        pseudonym = f"erased-{secrets.token_hex(8)}"
        events = UsageEvent.objects.filter(workspace_id=ws, user_id=user_id)
        report.add("product events with their traits", events.filter(type="identify").update(properties={}))
        report.add("product events", events.update(user_id=pseudonym))
        report.add(
            "daily user usage",
            DailyUserUsage.objects.filter(workspace_id=ws, user_id=user_id).update(user_id=pseudonym),
        )

    report.add(
        "survey comments",
        Response.objects.filter(contact=contact).exclude(comment="").update(comment=""),
    )
    Invitation.objects.filter(contact=contact, revoked_at__isnull=True, sent_at__isnull=False).update(
        revoked_at=timezone.now()
    )
    messages = OutboundMessage.objects.filter(workspace_id=ws).filter(
        Q(contact=contact) | (Q(to__iexact=email) if email else Q(pk__in=[]))
    )
    report.add(
        "messages stopped",
        messages.filter(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]).update(
            status=DeliveryStatus.SUPPRESSED, status_reason="The contact was erased.", next_attempt_at=None
        ),
    )
    report.add("messages", messages.update(to=ERASED, subject="", body="", html_body="", payload={}, last_error=""))
    if email:
        report.add("suppressions", Suppression.objects.filter(workspace_id=ws, email__iexact=email).delete()[0])

    contact.email = contact.first_name = contact.last_name = contact.title = contact.phone = ""
    contact.external_id = ""
    contact.status = ContactStatus.ERASED
    contact.save()
    for table, count in scrub(ws, needles).items():
        report.add(table, count)
    timeline.contact_erased_entry(contact, report.rows, actor=actor, via=via).save()
    audit_record(
        workspace=contact.workspace,
        actor=actor,
        action=AuditAction.ERASURE,
        target=f"contact #{contact.pk}",  # never the erased name
        detail={"rows": report.rows, "via": via or "command line"},
    )
    logger.info("contact %s of workspace %s erased by %s: %s", contact.pk, ws, actor.pk if actor else via, report.rows)
    return report


@transaction.atomic
def workspace_delete(*, actor: Member | None, workspace: Workspace) -> dict[str, int]:
    """Delete the workspace and every row it owns, children first; returns rows deleted per table.

    Logins that were members of this workspace only are deleted too (they are people's personal
    data and open nothing any more); a login still in another workspace, or a staff login, stays.
    """
    ws = workspace.pk
    slug = workspace.slug
    user_ids = list(Member.objects.filter(workspace_id=ws).values_list("user_id", flat=True))
    deleted: dict[str, int] = {}
    for spec in reversed(owned_tables()):
        if spec.label == "tenancy.workspace":
            continue
        # A table with its own workspace column is deleted by that column: `id IN (SELECT id …)`
        # on a table just filled (a demo, an import) can be planned from stale statistics as a
        # nested loop over every row, which took minutes on PostgreSQL for the per-user rollups.
        direct = "__" not in spec.path
        rows = spec.rows_of(ws) if direct else spec.model._default_manager.filter(pk__in=spec.rows_of(ws).values("pk"))
        self_links = [column for column, target in spec.links.items() if target == spec.label]
        if self_links:
            # A member's manager, a task's escalation: unlink first so no row waits on another.
            rows.update(**{column: None for column in self_links})
        count = rows.delete()[0]
        if count:
            deleted[spec.label] = count
    Workspace.objects.filter(pk=ws).delete()
    deleted["tenancy.workspace"] = 1
    logins = get_user_model().objects.filter(
        pk__in=user_ids, memberships__isnull=True, is_staff=False, is_superuser=False
    )
    deleted["users"] = logins.delete()[0]
    logger.info("workspace %s (%s) deleted by %s: %s", ws, slug, actor.pk if actor else "command line", deleted)
    return deleted
