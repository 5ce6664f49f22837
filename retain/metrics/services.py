"""Writes of the metrics inputs: spend per period and CSM quotas.

Keyword-only `<noun>_<verb>` functions that validate before they write and raise ValidationError
naming the field. Setting a row for a period that already has one replaces it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from retain.lib.columns import check_value
from retain.metrics.choices import SpendCategory
from retain.metrics.models import DEFAULT_TARGET_NRR, Quota, Spend
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace

MAX_PERIOD_DAYS = 92  # a quarter at most: spend is entered per month or per quarter
MAX_QUOTA_DAYS = 366


def _check_actor(workspace: Workspace, actor: Member | None) -> None:
    if actor is None:
        return
    if actor.workspace_id != workspace.pk or not actor.can_manage:
        raise ValidationError({"actor": "only a manager or admin of this workspace can set this"})


def _check_period(start: Any, end: Any, longest: int) -> None:
    if not isinstance(start, dt.date):
        raise ValidationError({"period_start": "must be a date"})
    if not isinstance(end, dt.date):
        raise ValidationError({"period_end": "must be a date"})
    if end < start:
        raise ValidationError({"period_end": "must not be before period_start"})
    if (end - start).days + 1 > longest:
        raise ValidationError({"period_end": f"the period must be at most {longest} days long"})


def _decimal(field: str, value: Any, *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: "must be a number"}) from None
    if not number.is_finite():
        raise ValidationError({field: "must be a number"})
    if positive and number <= 0:
        raise ValidationError({field: "must be above 0"})
    if number < 0:
        raise ValidationError({field: "must not be negative"})
    return number


def spend_set(
    *,
    workspace: Workspace,
    actor: Member | None,
    category: str,
    period_start: dt.date,
    period_end: dt.date,
    amount: Any,
    note: str = "",
) -> Spend:
    """Record what was spent on `category` from `period_start` to `period_end` (a month or a quarter)."""
    _check_actor(workspace, actor)
    if category not in SpendCategory.values:
        raise ValidationError({"category": f"must be one of {', '.join(SpendCategory.values)}"})
    _check_period(period_start, period_end, MAX_PERIOD_DAYS)
    value = _decimal("amount", amount)
    check_value(Spend, "amount", value)
    if value.as_tuple().exponent < -2:  # type: ignore[operator]  # _decimal returns a finite Decimal, whose exponent is an int
        raise ValidationError({"amount": "must have at most 2 decimal places"})
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": "must be at most 200 characters"})
    overlapping = (
        Spend.objects.filter(
            workspace=workspace, category=category, period_start__lte=period_end, period_end__gte=period_start
        )
        .exclude(period_start=period_start)
        .first()
    )
    if overlapping is not None:
        raise ValidationError(
            {
                "period_start": f"overlaps the {overlapping.get_category_display().lower()} spend of "
                f"{overlapping.period_start} to {overlapping.period_end}"
            }
        )
    with transaction.atomic():
        spend, _ = Spend.objects.update_or_create(
            workspace=workspace,
            category=category,
            period_start=period_start,
            defaults={"period_end": period_end, "amount": value, "note": note},
        )
    return spend


def spend_delete(*, spend: Spend, actor: Member | None) -> None:
    _check_actor(spend.workspace, actor)
    spend.delete()


def quota_delete(*, quota: Quota, actor: Member | None) -> None:
    _check_actor(quota.workspace, actor)
    quota.delete()


def quota_set(
    *,
    workspace: Workspace,
    actor: Member | None,
    member: Member,
    period_start: dt.date,
    period_end: dt.date,
    target_nrr: Any = None,
    target_arr: Any = None,
) -> Quota:
    """Set a CSM's quota for a period: a target net retention (120% by default) or a target ARR."""
    _check_actor(workspace, actor)
    if member.workspace_id != workspace.pk or not member.is_active:
        raise ValidationError({"member": "is not an active member of this workspace"})
    if member.role == Role.VIEWER:
        raise ValidationError({"member": "a viewer holds no book and has no quota"})
    _check_period(period_start, period_end, MAX_QUOTA_DAYS)
    nrr = DEFAULT_TARGET_NRR if target_nrr in (None, "") else _decimal("target_nrr", target_nrr, positive=True)
    if nrr > 10:
        raise ValidationError({"target_nrr": "must be a share such as 1.2 for 120%, at most 10"})
    arr = None if target_arr in (None, "") else _decimal("target_arr", target_arr, positive=True)
    check_value(Quota, "target_arr", arr)
    with transaction.atomic():
        quota, _ = Quota.objects.update_or_create(
            workspace=workspace,
            member=member,
            period_start=period_start,
            defaults={"period_end": period_end, "target_nrr": nrr.quantize(Decimal("0.0001")), "target_arr": arr},
        )
    return quota
