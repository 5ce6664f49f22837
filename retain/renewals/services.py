"""Writes to renewal opportunities and the reason-code library.

Keyword-only `<noun>_<verb>` functions that validate before they write and raise ValidationError
naming the field. Closing a renewal writes the subscription's movements through
accounts.services.subscription_change, so the revenue ledger is the one every metric reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts import timeline
from retain.accounts.choices import SubscriptionStatus
from retain.accounts.models import Subscription, TimelineEntry
from retain.accounts.selectors import rate_table, workspace_today
from retain.journeys.services import lifecycle_on_churn, milestone_renewal_record
from retain.lib.columns import check_value
from retain.lib.money import MissingRate, RateTable, quantize
from retain.renewals.choices import (
    DEFAULT_REASONS,
    OPEN_STAGES,
    REASON_KIND_FOR_OUTCOME,
    ForecastCategory,
    Outcome,
    ReasonKind,
    Stage,
)
from retain.renewals.models import ReasonCode, Renewal
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace

log = logging.getLogger(__name__)

UPDATE_FIELDS = {"owner", "stage", "forecast_category", "forecast_amount", "close_date", "notes"}


def window_opens_on(workspace: Workspace, subscription: Subscription) -> dt.date:
    """The day the renewal window of the subscription's current term opens (the tier's setting)."""
    return subscription.term_end - dt.timedelta(days=workspace.renewal_window_days(subscription.account.tier))


def _target_arr(subscription: Subscription, day: dt.date, table: RateTable) -> Decimal:
    return table.convert(subscription.mrr * 12, subscription.currency, day)


# Reason codes ------------------------------------------------------------------------------------


def reason_codes_seed(*, workspace: Workspace) -> int:
    """Give the workspace the default library; codes it already has (by kind and label) are kept."""
    have = set(ReasonCode.objects.filter(workspace=workspace).values_list("kind", "label"))
    fresh = [
        ReasonCode(workspace=workspace, kind=kind, label=label)
        for kind, labels in DEFAULT_REASONS.items()
        for label in labels
        if (kind, label) not in have
    ]
    ReasonCode.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _clean_label(workspace: Workspace, kind: str, label: str, exclude_pk: int | None = None) -> str:
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "must not be empty"})
    if len(label) > 120:
        raise ValidationError({"label": "must be at most 120 characters"})
    if kind not in ReasonKind.values:
        raise ValidationError({"kind": f"must be one of {', '.join(ReasonKind.values)}"})
    clash = ReasonCode.objects.filter(workspace=workspace, kind=kind, label__iexact=label)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"label": f"{label!r} is already a {kind} reason"})
    return label


def reason_code_create(*, workspace: Workspace, kind: str, label: str) -> ReasonCode:
    label = _clean_label(workspace, kind, label)
    return ReasonCode.objects.create(workspace=workspace, kind=kind, label=label)


def reason_code_update(*, reason: ReasonCode, label: str | None = None, active: bool | None = None) -> ReasonCode:
    if label is not None:
        reason.label = _clean_label(reason.workspace, reason.kind, label, exclude_pk=reason.pk)
    if active is not None:
        reason.active = active
    reason.save()
    return reason


# Opening -----------------------------------------------------------------------------------------


def renewals_open(*, workspace: Workspace, today: dt.date | None = None) -> int:
    """Open one renewal per active subscription term whose renewal window has opened.

    The rule is accounts.services.renewal_windows_open's: the window is the workspace's setting for
    the account's tier, counted back from the term end. Idempotent: a term that already has its
    renewal is skipped, and the unique (subscription, term end) pair stops an overlapping run.
    Returns how many were opened.
    """
    today = today or workspace_today(workspace)
    subscriptions = (
        Subscription.objects.filter(workspace=workspace, status=SubscriptionStatus.ACTIVE, term_end__gte=today)
        .select_related("account")
        .order_by("term_end", "id")
    )
    due = [s for s in subscriptions if window_opens_on(workspace, s) <= today]
    if not due:
        return 0
    existing = set(
        Renewal.objects.filter(subscription__in=[s.pk for s in due]).values_list("subscription_id", "term_end")
    )
    table = rate_table(workspace)
    now = timezone.now()
    opened = 0
    for subscription in due:
        if (subscription.pk, subscription.term_end) in existing:
            continue
        try:
            target = _target_arr(subscription, today, table)
        except MissingRate as exc:
            log.warning("renewal not opened for subscription %s: %s", subscription.pk, exc)
            continue
        renewal = Renewal(
            workspace=workspace,
            account=subscription.account,
            subscription=subscription,
            term_end=subscription.term_end,
            owner_id=subscription.account.owner_id,
            target_amount=target,
            close_date=subscription.term_end,
            opened_at=now,
        )
        try:
            with transaction.atomic():
                renewal.save()
                entry = timeline.renewal_opened_entry(renewal, occurred_at=now)
                if not TimelineEntry.objects.filter(workspace=workspace, dedupe_key=entry.dedupe_key).exists():
                    entry.save()
        except IntegrityError:
            continue  # an overlapping run opened it first
        opened += 1
    return opened


# Updating ----------------------------------------------------------------------------------------


def _check_owner(workspace: Workspace, owner: Member | None) -> None:
    if owner is None:
        return
    if owner.workspace_id != workspace.pk or not owner.is_active:
        raise ValidationError({"owner": "is not an active member of this workspace"})
    if owner.role == Role.VIEWER:
        raise ValidationError({"owner": "a viewer cannot own renewals"})


def _check_amount(field: str, value: Any) -> Decimal:
    try:
        amount = quantize(Decimal(value))
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({field: "must be a number"}) from None
    if not amount.is_finite():
        raise ValidationError({field: "must be a number"})
    if amount < 0:
        raise ValidationError({field: "must not be negative"})
    check_value(Renewal, field, amount)
    return amount


def _require_open(renewal: Renewal) -> None:
    if renewal.stage == Stage.CLOSED:
        raise ValidationError({"stage": "the renewal is closed and can no longer change"})


@transaction.atomic
def renewal_update(*, renewal: Renewal, actor: Member | None, **fields: Any) -> Renewal:
    """Change the owner, stage (open stages only), forecast category and amount, close date or notes.

    The first forecast of a renewal gives the category and the amount together (a renewal opens "not
    forecast yet"); after that either may change alone.
    """
    unknown = sorted(set(fields) - UPDATE_FIELDS)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field that can be set here"})
    _require_open(renewal)
    if "owner" in fields:
        _check_owner(renewal.workspace, fields["owner"])
    if "stage" in fields and fields["stage"] not in OPEN_STAGES:
        raise ValidationError(
            {"stage": f"must be one of {', '.join(OPEN_STAGES)}; close the renewal to record its outcome"}
        )
    if "forecast_category" in fields and fields["forecast_category"] not in ForecastCategory.values:
        raise ValidationError({"forecast_category": f"must be one of {', '.join(ForecastCategory.values)}"})
    if "forecast_amount" in fields:
        fields["forecast_amount"] = _check_amount("forecast_amount", fields["forecast_amount"])
    if not renewal.is_forecast:
        if "forecast_category" in fields and "forecast_amount" not in fields:
            raise ValidationError({"forecast_amount": "give the ARR you expect with the first forecast category"})
        if "forecast_amount" in fields and "forecast_category" not in fields:
            raise ValidationError({"forecast_category": "give a forecast category with the first forecast amount"})
    if "close_date" in fields and not isinstance(fields["close_date"], dt.date):
        raise ValidationError({"close_date": "must be a date"})
    for name, value in fields.items():
        setattr(renewal, name, value)
    renewal.save()
    return renewal


# Closing -----------------------------------------------------------------------------------------


def _one_year_on(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _check_outcome(outcome: str, final: Decimal, target: Decimal) -> None:
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"must be one of {', '.join(Outcome.values)}"})
    if outcome == Outcome.CHURNED and final != 0:
        raise ValidationError({"final_amount": "must be 0 for a churned renewal"})
    if outcome == Outcome.RENEWED and final != target:
        raise ValidationError(
            {"final_amount": f"differs from the target {target}: record an expansion or a contraction instead"}
        )
    if outcome == Outcome.RENEWED_EXPANSION and final <= target:
        raise ValidationError({"final_amount": f"must be above the target {target} for an expansion"})
    if outcome == Outcome.RENEWED_CONTRACTION and not (0 < final < target):
        raise ValidationError({"final_amount": f"must be above 0 and below the target {target} for a contraction"})


def _clean_reasons(renewal: Renewal, outcome: str, reasons: Iterable[ReasonCode]) -> list[ReasonCode]:
    chosen = list(reasons)
    kind = REASON_KIND_FOR_OUTCOME.get(Outcome(outcome))
    for reason in chosen:
        if reason.workspace_id != renewal.workspace_id:
            raise ValidationError({"reasons": "name a reason code of this workspace"})
        if not reason.active:
            raise ValidationError({"reasons": f"{reason.label!r} is retired"})
        if reason.kind != kind:
            expected = f"{kind} reasons" if kind else "no reasons"
            raise ValidationError(
                {"reasons": f"{reason.label!r} is a {reason.kind} reason; this outcome takes {expected}"}
            )
    if kind is not None and not chosen:
        raise ValidationError({"reasons": f"give at least one {kind} reason for this outcome"})
    return chosen


def _outcome_words(renewal: Renewal, reasons: Sequence[ReasonCode]) -> str:
    """ "Renewed with expansion on 2026-11-30: ARR 24,000 → 30,000 (More seats)": the renewal milestone's evidence."""
    label = Outcome(renewal.outcome).label
    why = f" ({', '.join(r.label for r in reasons)})" if reasons else ""
    return f"{label} on {renewal.close_date}: ARR {renewal.target_amount:,.0f} → {renewal.final_amount:,.0f}{why}"


@transaction.atomic
def renewal_close(
    *,
    renewal: Renewal,
    actor: Member | None,
    via: str,
    outcome: str,
    final_amount: Decimal | None = None,
    reasons: Sequence[ReasonCode] = (),
    new_term_end: dt.date | None = None,
    effective_on: dt.date | None = None,
    table: RateTable | None = None,
) -> Renewal:
    """Record the outcome and write the subscription's movement on `effective_on` (the term end by default).

    renewed: the term moves on to `new_term_end` (a year after the old one by default), MRR unchanged;
    renewed with expansion / contraction: the new MRR is final_amount / 12 (converted back into the
    subscription's currency) plus the new term; churned: MRR 0. `final_amount` is ARR in the
    workspace currency; for a plain renewal it defaults to the target, for a churn to 0.
    """
    renewal = (
        Renewal.objects.select_for_update().select_related("subscription__account", "workspace").get(pk=renewal.pk)
    )
    _require_open(renewal)
    workspace = renewal.workspace
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": f"must be one of {', '.join(Outcome.values)}"})
    if final_amount is None:
        if outcome == Outcome.RENEWED:
            final_amount = renewal.target_amount
        elif outcome == Outcome.CHURNED:
            final_amount = Decimal(0)
        else:
            raise ValidationError({"final_amount": "is required for an expansion or a contraction"})
    final = _check_amount("final_amount", final_amount)
    _check_outcome(outcome, final, renewal.target_amount)
    chosen = _clean_reasons(renewal, outcome, reasons)
    effective_on = effective_on or renewal.term_end
    subscription = renewal.subscription
    if outcome != Outcome.CHURNED:
        new_term_end = new_term_end or _one_year_on(renewal.term_end)
        if new_term_end <= renewal.term_end:
            raise ValidationError({"new_term_end": f"must be after the renewed term's end {renewal.term_end}"})
    elif new_term_end is not None:
        raise ValidationError({"new_term_end": "a churned renewal has no new term"})

    table = table or rate_table(workspace)
    change: dict[str, Any] = {}
    if outcome == Outcome.CHURNED:
        change = {"mrr": Decimal(0), "seats": 0}
    elif outcome == Outcome.RENEWED:
        change = {"term_end": new_term_end}
    else:
        try:
            rate = table.rate(subscription.currency, effective_on)
        except MissingRate as exc:
            raise ValidationError({"effective_on": f"{exc}: add a rate in the workspace settings"}) from None
        change = {"mrr": quantize(final / 12 / rate), "term_end": new_term_end}
    account_services.subscription_change(
        subscription=subscription, actor=actor, via=via, effective_on=effective_on, table=table, **change
    )

    renewal.outcome = outcome
    renewal.final_amount = final
    renewal.forecast_amount = final
    renewal.forecast_category = ForecastCategory.LOST if outcome == Outcome.CHURNED else ForecastCategory.COMMIT
    renewal.stage = Stage.CLOSED
    renewal.close_date = workspace_today(workspace)
    renewal.closed_at = timezone.now()
    renewal.save()
    renewal.reasons.set(chosen)
    timeline.renewal_closed_entry(renewal, reasons=[r.label for r in chosen], actor=actor, via=via).save()
    milestone_renewal_record(
        account=renewal.account,
        renewed=outcome != Outcome.CHURNED,
        on=renewal.close_date,
        summary=_outcome_words(renewal, chosen),
    )
    if outcome == Outcome.CHURNED:
        lifecycle_on_churn(account=renewal.account)
    return renewal


def renewals_follow_owner(
    *, workspace: Workspace, account_ids: Iterable[int], old_owner: Member, new_owner: Member
) -> int:
    """Open renewals the old owner held on these accounts go to the new owner (a book moved)."""
    return Renewal.objects.filter(
        workspace=workspace, account_id__in=list(account_ids), owner=old_owner, stage__in=OPEN_STAGES
    ).update(owner=new_owner)
