"""Writes to workspaces, members, invitations, exchange rates, API tokens, write keys and the audit log.

Every change to who may do what, or to what the workspace runs on, writes an audit entry in the same
transaction as the change (`audit_record`), so the log holds exactly the changes that happened.
Callers pass `actor=None` for the command line and the system itself.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from retain.lib.columns import check_columns, check_value
from retain.lib.senders import from_header, sender_name_error
from retain.tenancy.choices import AuditAction, CapacityUnit, CsmKind, InvitationStatus, Role
from retain.tenancy.models import (
    GROSS_MARGIN_PCT_RANGE,
    ApiToken,
    AuditEntry,
    ExchangeRate,
    Invitation,
    Member,
    Workspace,
    WriteKey,
    hash_token,
)

INVITATION_DAYS = 7
_INVITATION_SALT = "retain.tenancy.invitation"


# Audit log ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as the audit log keeps it: JSON-safe, a member or other row by its name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Member):
        return value.display_name
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def audit_record(
    *,
    workspace: Workspace,
    actor: Member | None,
    action: str,
    target: models.Model | str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; call it inside the transaction that makes the change it records.

    `target` is the row changed (kept as its type, id and name) or a plain description such as
    "accounts export"; `detail` says what changed, e.g. {"role": ["csm", "manager"]}.
    """
    if action not in AuditAction.values:
        raise ValueError(f"{action!r} is not an audit action")
    if actor is not None and actor.workspace_id != workspace.pk:
        raise ValueError("the actor of an audit entry must be a member of its workspace")
    if isinstance(target, models.Model):
        target_type, target_id, label = target._meta.model_name or "", str(target.pk), str(target)
    else:
        target_type, target_id, label = "", "", str(target)
    return AuditEntry.objects.create(
        workspace=workspace,
        actor=actor,
        actor_name=actor.display_name if actor is not None else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target=label[:300],
        detail=_plain(detail or {}),
    )


def _changes(row: models.Model, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Each field whose value differs from the row's, as [before, after]."""
    return {
        name: [_plain(getattr(row, name)), _plain(value)]
        for name, value in fields.items()
        if getattr(row, name) != value
    }


WORKSPACE_FIELDS = {
    "name", "time_zone", "currency",
    "renewal_window_community_days", "renewal_window_enterprise_days", "renewal_window_strategic_days",
    "fallback_owner", "sender_name", "sender_email", "unknown_groups", "gross_margin_pct",
}  # fmt: skip


def _clean_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": f"{value!r} is not a known time zone"}) from None


def _gross_margin_pct(value: Any) -> Decimal:
    low, high = GROSS_MARGIN_PCT_RANGE
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"gross_margin_pct": f"{value!r} is not a number of percent"}) from None
    if not number.is_finite() or not low <= number <= high:
        raise ValidationError({"gross_margin_pct": f"must be between {low}% and {high}%, got {value}"})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def workspace_create(
    *, name: str, slug: str, time_zone: str = "UTC", currency: str = "USD", is_demo: bool = False
) -> Workspace:
    _clean_time_zone(time_zone)
    workspace = Workspace(name=name, slug=slug, time_zone=time_zone, currency=currency.upper(), is_demo=is_demo)
    check_columns(workspace)
    workspace.full_clean()
    workspace.save()
    return workspace


@transaction.atomic
def workspace_update(*, workspace: Workspace, actor: Member | None = None, **fields: Any) -> Workspace:
    unknown = sorted(set(fields) - WORKSPACE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a workspace setting"})
    if "time_zone" in fields:
        _clean_time_zone(fields["time_zone"])
    if "sender_name" in fields:
        fields["sender_name"] = str(fields["sender_name"]).strip()
        if error := sender_name_error(fields["sender_name"]):
            raise ValidationError({"sender_name": error})
    if "sender_email" in fields:
        fields["sender_email"] = str(fields["sender_email"] or "").strip()
    if "gross_margin_pct" in fields:
        fields["gross_margin_pct"] = _gross_margin_pct(fields["gross_margin_pct"])
    fallback_given = "fallback_owner" in fields
    fallback = fields.pop("fallback_owner", None)
    changed = _changes(workspace, fields)
    if fallback_given:
        usable = fallback is None or (
            fallback.workspace_id == workspace.pk and fallback.is_active and fallback.can_write
        )
        if not usable:
            raise ValidationError({"fallback_owner": "must be an active member of this workspace who is not a viewer"})
        current = workspace.fallback_owner
        if current != fallback:
            changed["fallback_owner"] = [_plain(current), _plain(fallback)]
            Member.objects.filter(workspace=workspace, is_fallback_owner=True).update(is_fallback_owner=False)
            if fallback is not None:
                Member.objects.filter(pk=fallback.pk).update(is_fallback_owner=True)
    for name, value in fields.items():
        setattr(workspace, name, value)
    for tier in ("community", "enterprise", "strategic"):
        days = getattr(workspace, f"renewal_window_{tier}_days")
        if not 0 < int(days) <= 730:
            raise ValidationError({f"renewal_window_{tier}_days": "must be between 1 and 730 days"})
    check_columns(workspace)
    workspace.full_clean()
    workspace.save()
    if changed:
        audit_record(
            workspace=workspace, actor=actor, action=AuditAction.SETTINGS_UPDATED, target="settings", detail=changed
        )
    return workspace


@transaction.atomic
def member_add(
    *,
    workspace: Workspace,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    csm_kind: str = "",
    capacity_unit: str = "",
    capacity: Decimal | None = None,
    actor: Member | None = None,
) -> Member:
    """Add a person to a workspace, creating their login if they have none yet."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    if csm_kind and csm_kind not in CsmKind.values:
        raise ValidationError({"csm_kind": f"must be one of {', '.join(CsmKind.values)}"})
    if capacity_unit and capacity_unit not in CapacityUnit.values:
        raise ValidationError({"capacity_unit": f"must be one of {', '.join(CapacityUnit.values)}"})
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=first_name, last_name=last_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    if Member.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"email": f"{email} is already a member of this workspace"})
    member = Member(
        workspace=workspace,
        user=user,
        role=role,
        csm_kind=csm_kind,
        capacity_unit=capacity_unit,
        capacity=capacity,
    )
    check_columns(member)
    member.full_clean(exclude=["workspace", "user"])
    member.save()
    audit_record(
        workspace=workspace, actor=actor, action=AuditAction.MEMBER_ADDED, target=member, detail={"role": role}
    )
    return member


# Managers plan books (kind, capacity, reporting line); only admins decide who is in the workspace
# and with what role. The web form and the API both come here, so the rule is written once.
ADMIN_ONLY_MEMBER_FIELDS = ("role", "is_active")
LAST_ADMIN_MESSAGE = "the workspace must keep at least one active admin"


@transaction.atomic
def member_update(*, actor: Member | None, member: Member, **fields: Any) -> Member:
    """Change a member's role, access, CSM kind, capacity or reporting line.

    `actor` None is the command line or the system: no role check, but the workspace still keeps
    an active admin.
    """
    allowed = {"role", "csm_kind", "capacity_unit", "capacity", "is_active", "manager"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({unknown[0]: "is not a member field that can be set"})
    changed = _changes(member, fields)
    if actor is not None:
        if actor.workspace_id != member.workspace_id or not actor.can_manage:
            raise PermissionDenied("Only managers and admins can do this")
        if not actor.is_admin and any(name in changed for name in ADMIN_ONLY_MEMBER_FIELDS):
            raise PermissionDenied("Only admins change a member's role or access")
    if fields.get("manager") is not None:
        _check_reports_to(member, fields["manager"])
    _keep_an_admin(member, fields)
    for name, value in fields.items():
        setattr(member, name, value)
    check_columns(member)
    member.full_clean(exclude=["workspace", "user"])
    member.save()
    if changed:
        audit_record(
            workspace=member.workspace, actor=actor, action=AuditAction.MEMBER_UPDATED, target=member, detail=changed
        )
    return member


def _keep_an_admin(member: Member, fields: dict[str, Any]) -> None:
    """Refuse to demote or deactivate the workspace's last active admin (themself or by the CLI)."""
    if not (member.is_admin and member.is_active):
        return
    role, active = fields.get("role", member.role), fields.get("is_active", member.is_active)
    if role == Role.ADMIN and active:
        return
    # Lock every active admin row: two admins demoting each other at once must not both succeed.
    admins = list(
        Member.objects.select_for_update()
        .filter(workspace_id=member.workspace_id, role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if set(admins) - {member.pk}:
        return
    raise ValidationError({"role" if role != Role.ADMIN else "is_active": LAST_ADMIN_MESSAGE})


def _check_reports_to(member: Member, manager: Member) -> None:
    """A member reports to an active, non-viewer member of the same workspace, and never in a circle."""
    if manager.workspace_id != member.workspace_id:
        raise ValidationError({"manager": "is not a member of this workspace"})
    if not manager.is_active or manager.role == Role.VIEWER:
        raise ValidationError({"manager": f"{manager.display_name} cannot take escalations (inactive or a viewer)"})
    seen = {member.pk}
    boss: Member | None = manager
    while boss is not None:
        if boss.pk in seen:
            raise ValidationError({"manager": f"{manager.display_name} already reports to {member.display_name}"})
        seen.add(boss.pk)
        boss = boss.manager


@transaction.atomic
def exchange_rate_set(
    *, workspace: Workspace, currency: str, valid_from: dt.date, rate: Any, actor: Member | None = None
) -> ExchangeRate:
    """Record what one unit of `currency` is worth in the workspace currency from a day on."""
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": "use a three-letter ISO 4217 code such as EUR"})
    if currency == workspace.currency:
        raise ValidationError({"currency": "is the workspace currency itself"})
    try:
        value = Decimal(str(rate))
        if not value.is_finite() or value <= 0:
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationError({"rate": "must be a positive number"}) from None
    check_value(ExchangeRate, "rate", value)
    row, _ = ExchangeRate.objects.update_or_create(
        workspace=workspace, currency=currency, valid_from=valid_from, defaults={"rate": value}
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action=AuditAction.EXCHANGE_RATE_SET,
        target=row,
        detail={"currency": currency, "valid_from": valid_from.isoformat(), "rate": str(value)},
    )
    return row


@transaction.atomic
def api_token_create(*, member: Member, name: str, actor: Member | None = None) -> tuple[ApiToken, str]:
    """Create a REST API token; the raw key is returned once and only its hash is stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        member=member, name=name or "API token", key_hash=hash_token(raw), key_prefix=raw[:10]
    )
    audit_record(
        workspace=member.workspace,
        actor=actor,
        action=AuditAction.API_TOKEN_CREATED,
        target=token,
        detail={"member": member.display_name},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Member | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            workspace=token.member.workspace,
            actor=actor,
            action=AuditAction.API_TOKEN_REVOKED,
            target=token,
            detail={"member": token.member.display_name},
        )


@transaction.atomic
def write_key_create(*, workspace: Workspace, name: str, actor: Member | None = None) -> tuple[WriteKey, str]:
    """Create an ingest write key; the raw key is returned once and only its hash is stored."""
    raw = WriteKey.new_raw_key()
    key = WriteKey.objects.create(
        workspace=workspace, name=name or "Write key", key_hash=hash_token(raw), key_prefix=raw[:10]
    )
    audit_record(workspace=workspace, actor=actor, action=AuditAction.WRITE_KEY_CREATED, target=key)
    return key, raw


@transaction.atomic
def write_key_revoke(*, key: WriteKey, actor: Member | None = None) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(workspace=key.workspace, actor=actor, action=AuditAction.WRITE_KEY_REVOKED, target=key)


# Invitations -------------------------------------------------------------------------------------


def _invitation_link(invitation: Invitation, raw: str) -> str:
    token = signing.Signer(salt=_INVITATION_SALT).sign(f"{invitation.pk}.{raw}")
    return settings.SITE_URL + reverse("invitation-accept", args=[token])


def _send_invitation(invitation: Invitation, raw: str) -> None:
    """E-mail the link after commit: no invitation is mailed for a row that rolled back.

    Sent directly, like Django's password reset, and not through the messaging outbox: the outbox
    keeps bodies and shows them on the Messages page, and this link makes its holder a member.
    A failure to send surfaces to the caller (after the commit), which can offer a re-send.
    """
    context = {
        "workspace": invitation.workspace.name,
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "An admin",
        "role": invitation.get_role_display(),
        "link": _invitation_link(invitation, raw),
        "expires_at": invitation.expires_at,
    }
    subject = f"You are invited to {invitation.workspace.name} on Retain"
    body = render_to_string("tenancy/invitation_email.txt", context)
    inviter = invitation.invited_by
    email = EmailMessage(
        subject,
        body,
        invitation.workspace.sender(inviter.display_name if inviter else ""),
        [invitation.email],
        reply_to=[from_header(inviter.display_name, inviter.user.email)] if inviter and inviter.user.email else [],
    )
    transaction.on_commit(email.send)


def _new_key(invitation: Invitation) -> str:
    raw = secrets.token_urlsafe(24)
    now = timezone.now()
    invitation.key_hash = hash_token(raw)
    invitation.sent_at = now
    invitation.expires_at = now + dt.timedelta(days=INVITATION_DAYS)
    return raw


@transaction.atomic
def invitation_create(*, workspace: Workspace, actor: Member | None, email: str, role: str) -> Invitation:
    """Invite someone by e-mail to join with a role; the link works once, for INVITATION_DAYS days."""
    email = (email or "").strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    existing = Member.objects.filter(workspace=workspace, user__email__iexact=email).first()
    if existing is not None:
        state = "a member" if existing.is_active else "a deactivated member (reactivate them instead)"
        raise ValidationError({"email": f"{email} is already {state} of this workspace"})
    pending = Invitation.objects.filter(
        workspace=workspace, email=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
    if pending.exists():
        raise ValidationError({"email": f"{email} already has a pending invitation: re-send it instead"})
    invitation = Invitation(workspace=workspace, email=email, role=role, invited_by=actor)
    raw = _new_key(invitation)
    invitation.full_clean(exclude=["invited_by", "member"])
    invitation.save()
    audit_record(
        workspace=workspace, actor=actor, action=AuditAction.MEMBER_INVITED, target=invitation, detail={"role": role}
    )
    _send_invitation(invitation, raw)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: Member | None) -> Invitation:
    """Send a new link (the old one stops working) with a fresh expiry; pending or expired ones only."""
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if invitation.status not in (InvitationStatus.PENDING, InvitationStatus.EXPIRED):
        raise ValidationError({"invitation": f"is {invitation.get_status_display().lower()}: it cannot be re-sent"})
    raw = _new_key(invitation)
    invitation.invited_by = actor or invitation.invited_by
    invitation.save(update_fields=["key_hash", "sent_at", "expires_at", "invited_by"])
    audit_record(workspace=invitation.workspace, actor=actor, action=AuditAction.INVITATION_RESENT, target=invitation)
    _send_invitation(invitation, raw)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Member | None) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError({"invitation": "was accepted already: deactivate the member instead"})
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            workspace=invitation.workspace, actor=actor, action=AuditAction.INVITATION_REVOKED, target=invitation
        )
    return invitation


def invitation_from_link(token: str) -> Invitation | None:
    """The pending invitation an e-mailed link stands for, or None when the link is forged, replaced
    by a re-send, used, revoked or expired."""
    try:
        pk, raw = signing.Signer(salt=_INVITATION_SALT).unsign(token).split(".", 1)
    except (signing.BadSignature, ValueError):
        return None
    invitation = (
        Invitation.objects.select_related("workspace").filter(pk=pk, key_hash=hash_token(raw)).first()
        if pk.isdigit()
        else None
    )
    if invitation is None or invitation.status != InvitationStatus.PENDING:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, first_name: str = "", last_name: str = "", password: str = "") -> Member:
    """Use an invitation's link: the invitee becomes a member with the invited role.

    Someone without a login gets one with their name and password; someone who has one (from another
    workspace) keeps their password and name. Raises ValidationError naming the field.
    """
    found = invitation_from_link(token)
    if found is None:
        raise ValidationError({"invitation": "this link is not valid any more: ask an admin to re-send it"})
    # Lock and read again: two clicks on the same link at once make one member.
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=found.pk)
    if invitation.status != InvitationStatus.PENDING or invitation.key_hash != found.key_hash:
        raise ValidationError({"invitation": "this link is not valid any more: ask an admin to re-send it"})
    User = get_user_model()
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None or not user.has_usable_password():
        if not first_name.strip():
            raise ValidationError({"first_name": "say what your colleagues should call you"})
        user = user or User(username=invitation.email, email=invitation.email)
        user.first_name, user.last_name = first_name.strip(), last_name.strip()
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
    member = Member.objects.filter(workspace=invitation.workspace, user=user).first()
    if member is not None:
        raise ValidationError({"invitation": f"{invitation.email} is already a member of this workspace"})
    member = Member.objects.create(workspace=invitation.workspace, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.member = member
    invitation.save(update_fields=["accepted_at", "member"])
    audit_record(
        workspace=invitation.workspace,
        actor=member,
        action=AuditAction.INVITATION_ACCEPTED,
        target=invitation,
        detail={"role": invitation.role},
    )
    return member
