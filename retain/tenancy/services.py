"""Writes to workspaces, members, exchange rates and API tokens."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retain.lib.columns import check_columns, check_value
from retain.tenancy.choices import CapacityUnit, CsmKind, Role
from retain.tenancy.models import ApiToken, ExchangeRate, Member, Workspace, WriteKey, hash_token

WORKSPACE_FIELDS = {
    "name", "time_zone", "currency",
    "renewal_window_community_days", "renewal_window_enterprise_days", "renewal_window_strategic_days",
}  # fmt: skip


def _clean_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"time_zone": f"{value!r} is not a known time zone"}) from None


@transaction.atomic
def workspace_create(*, name: str, slug: str, time_zone: str = "UTC", currency: str = "USD") -> Workspace:
    _clean_time_zone(time_zone)
    workspace = Workspace(name=name, slug=slug, time_zone=time_zone, currency=currency.upper())
    check_columns(workspace)
    workspace.full_clean()
    workspace.save()
    return workspace


@transaction.atomic
def workspace_update(*, workspace: Workspace, **fields: Any) -> Workspace:
    unknown = sorted(set(fields) - WORKSPACE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a workspace setting"})
    if "time_zone" in fields:
        _clean_time_zone(fields["time_zone"])
    for name, value in fields.items():
        setattr(workspace, name, value)
    for tier in ("community", "enterprise", "strategic"):
        days = getattr(workspace, f"renewal_window_{tier}_days")
        if not 0 < int(days) <= 730:
            raise ValidationError({f"renewal_window_{tier}_days": "must be between 1 and 730 days"})
    check_columns(workspace)
    workspace.full_clean()
    workspace.save()
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
    return member


@transaction.atomic
def member_update(*, member: Member, **fields: Any) -> Member:
    allowed = {"role", "csm_kind", "capacity_unit", "capacity", "is_active", "manager"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({unknown[0]: "is not a member field that can be set"})
    if fields.get("manager") is not None:
        _check_reports_to(member, fields["manager"])
    for name, value in fields.items():
        setattr(member, name, value)
    check_columns(member)
    member.full_clean(exclude=["workspace", "user"])
    member.save()
    return member


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
def exchange_rate_set(*, workspace: Workspace, currency: str, valid_from: dt.date, rate: Any) -> ExchangeRate:
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
    return row


def api_token_create(*, member: Member, name: str) -> tuple[ApiToken, str]:
    """Create a REST API token; the raw key is returned once and only its hash is stored."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        member=member, name=name or "API token", key_hash=hash_token(raw), key_prefix=raw[:10]
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def write_key_create(*, workspace: Workspace, name: str) -> tuple[WriteKey, str]:
    """Create an ingest write key; the raw key is returned once and only its hash is stored."""
    raw = WriteKey.new_raw_key()
    key = WriteKey.objects.create(
        workspace=workspace, name=name or "Write key", key_hash=hash_token(raw), key_prefix=raw[:10]
    )
    return key, raw


def write_key_revoke(*, key: WriteKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
