"""Writes to accounts, contacts, subscriptions, touchpoints and segments.

Every function is keyword-only, named <noun>_<verb>, validates before it writes, writes its timeline
entry in the same transaction, and raises ValidationError naming the field on bad input. Views, the
API, imports, jobs and the demo generator all call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from retain.accounts import hooks, lifecycle, timeline
from retain.accounts.choices import ContactStatus, MovementKind, SubscriptionStatus
from retain.accounts.models import (
    Account,
    Contact,
    Segment,
    Subscription,
    SubscriptionMovement,
    TimelineEntry,
    Touchpoint,
)
from retain.accounts.segments import clean_criteria
from retain.accounts.selectors import rate_table, workspace_today
from retain.lib.columns import check_columns, check_value
from retain.lib.dates import start_of_day
from retain.lib.money import MissingRate, RateTable, quantize
from retain.tenancy.choices import Role
from retain.tenancy.models import Member, Workspace

ACCOUNT_FIELDS = {
    "external_id", "name", "domain", "tier", "edition", "stage", "stage_entered_on", "owner",
    "industry", "employees", "annual_revenue", "traits", "customer_since", "from_unknown_group",
}  # fmt: skip
CONTACT_FIELDS = {"external_id", "email", "first_name", "last_name", "title", "phone", "role", "status", "left_on"}


def _check_fields(fields: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({unknown[0]: "is not a field that can be set here"})


def _refuse_erased(fields: dict[str, Any]) -> None:
    # `erased` says the personal data is gone; only the erasure (retain.ownership) may say so.
    if fields.get("status") == ContactStatus.ERASED:
        raise ValidationError({"status": "erased is set by erasing the contact's personal data, not by hand"})


def _validate(instance: Any, exclude: Sequence[str] = ()) -> None:
    # Numbers first: Django's own range check follows the connection (64 bits on SQLite), the
    # columns' follows the model, so a value is refused alike on both databases.
    check_columns(instance)
    # Constraints are checked by hand below so their errors can name the field.
    instance.full_clean(exclude=list(exclude), validate_constraints=False, validate_unique=False)


def _check_unique(instance: Any, field: str) -> None:
    value = getattr(instance, field)
    if not value:
        return
    clash = type(instance).objects.filter(workspace_id=instance.workspace_id, **{field: value}).exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({field: f"{value!r} is already used by another {instance._meta.verbose_name}"})


def _check_owner(workspace: Workspace, owner: Member | None) -> None:
    if owner is None:
        return
    if owner.workspace_id != workspace.pk or not owner.is_active:
        raise ValidationError({"owner": "is not an active member of this workspace"})
    if owner.role == Role.VIEWER:
        raise ValidationError({"owner": "a viewer cannot own accounts"})


def _diff(instance: Any, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name, new in fields.items():
        old = getattr(instance, name)
        if old != new:
            changes[name] = (old, new)
    return changes


# Accounts ----------------------------------------------------------------------------------------


@transaction.atomic
def account_create(*, workspace: Workspace, actor: Member | None, via: str, **fields: Any) -> Account:
    _check_fields(fields, ACCOUNT_FIELDS)
    account = Account(workspace=workspace, **fields)
    account.domain = (account.domain or "").strip().lower()
    rule = ""
    if "stage" not in fields:
        # No stage given: a customer of long standing (a CRM import) is past onboarding.
        start = lifecycle.initial_stage(account.tier, account.customer_since, workspace_today(workspace))
        account.stage = start.stage
        account.stage_entered_on = account.stage_entered_on or start.entered_on
        rule = start.rule
    if account.stage_entered_on is None:
        account.stage_entered_on = workspace_today(workspace)
    _validate(account, exclude=["workspace", "owner"])
    _check_unique(account, "external_id")
    _check_owner(workspace, account.owner)
    account.save()
    timeline.account_created_entry(account, actor=actor, via=via, stage_rule=rule).save()
    hooks.account_created(account, actor)
    return account


@transaction.atomic
def account_update(
    *, account: Account, actor: Member | None, via: str, reason: str = "", **fields: Any
) -> dict[str, tuple[Any, Any]]:
    """Change an account's fields; returns what changed (nothing changed writes nothing)."""
    _check_fields(fields, ACCOUNT_FIELDS)
    if "domain" in fields:
        fields["domain"] = (fields["domain"] or "").strip().lower()
    changes = _diff(account, fields)
    if not changes:
        return {}
    old_owner = account.owner
    for name, (_, new) in changes.items():
        setattr(account, name, new)
    if "stage" in changes and "stage_entered_on" not in fields:
        account.stage_entered_on = workspace_today(account.workspace)
    _validate(account, exclude=["workspace", "owner"])
    _check_unique(account, "external_id")
    _check_owner(account.workspace, account.owner)
    account.save()
    owner_change = changes.pop("owner", None)
    if owner_change is not None:
        timeline.owner_changed_entry(account, old_owner, account.owner, actor=actor, via=via, reason=reason).save()
        hooks.owner_changed([account.pk], account.owner, actor)
    # A stage change is a lifecycle move wherever it comes from (form, import, API): its own entry,
    # which playbooks trigger on.
    stage_change = changes.pop("stage", None)
    if stage_change is not None:
        old_stage, new_stage = stage_change
        timeline.stage_changed_entry(account, old_stage, new_stage, reason=reason, actor=actor, via=via).save()
    if changes:
        timeline.account_updated_entry(account, changes, actor=actor, via=via, reason=reason).save()
    if owner_change is not None:
        changes["owner"] = owner_change
    if stage_change is not None:
        changes["stage"] = stage_change
    return changes


@transaction.atomic
def accounts_reassign(
    *,
    workspace: Workspace,
    actor: Member | None,
    via: str,
    accounts: QuerySet[Account] | Iterable[Account],
    new_owner: Member,
    reason: str = "",
    reasons: Mapping[int, str] | None = None,
) -> int:
    """Move a book (or part of one) to another CSM, recording it on each account's timeline
    (with `reasons[account.pk]` when the reason differs per account)."""
    _check_owner(workspace, new_owner)
    moved: list[int] = []
    entries: list[TimelineEntry] = []
    for account in accounts:
        if account.workspace_id != workspace.pk:
            raise ValidationError({"accounts": f"account {account.pk} is not in this workspace"})
        if account.owner_id == new_owner.pk:
            continue
        old_owner = account.owner
        account.owner = new_owner
        moved.append(account.pk)
        why = reasons.get(account.pk, reason) if reasons is not None else reason
        entries.append(timeline.owner_changed_entry(account, old_owner, new_owner, actor=actor, via=via, reason=why))
    # One update for the whole book: an assignment run moves a thousand imported accounts at once.
    Account.objects.filter(pk__in=moved).update(owner=new_owner, updated_at=timezone.now())
    TimelineEntry.objects.bulk_create(entries)
    hooks.owner_changed(moved, new_owner, actor)
    return len(moved)


def account_refresh_mrr(*, account: Account, table: RateTable | None = None, day: dt.date | None = None) -> Decimal:
    """Recompute the account's MRR column from its active subscriptions at today's rates."""
    table = table or rate_table(account.workspace)
    day = day or workspace_today(account.workspace)
    total = Decimal(0)
    for subscription in account.subscriptions.filter(status=SubscriptionStatus.ACTIVE):
        total += table.convert(subscription.mrr, subscription.currency, day)
    total = quantize(total)
    if total != account.mrr:
        account.mrr = total
        account.save(update_fields=["mrr", "updated_at"])
    return total


# Contacts ----------------------------------------------------------------------------------------


@transaction.atomic
def contact_create(*, account: Account, actor: Member | None, via: str, **fields: Any) -> Contact:
    _check_fields(fields, CONTACT_FIELDS)
    _refuse_erased(fields)
    contact = Contact(workspace_id=account.workspace_id, account=account, **fields)
    contact.email = (contact.email or "").strip().lower()
    if contact.status == ContactStatus.LEFT and contact.left_on is None:
        contact.left_on = workspace_today(account.workspace)
    _validate(contact, exclude=["workspace", "account"])
    _check_unique(contact, "external_id")
    _check_unique(contact, "email")
    contact.save()
    timeline.contact_added_entry(contact, actor=actor, via=via).save()
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, actor: Member | None, via: str, account: Account | None = None, **fields: Any
) -> dict[str, tuple[Any, Any]]:
    _check_fields(fields, CONTACT_FIELDS)
    _refuse_erased(fields)
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    if account is not None and account.pk != contact.account_id:
        if account.workspace_id != contact.workspace_id:
            raise ValidationError({"account": "is not in this workspace"})
        fields["account"] = account
    changes = _diff(contact, fields)
    if not changes:
        return {}
    for name, (_, new) in changes.items():
        setattr(contact, name, new)
    left_now = changes.get("status", (None, None))[1] == ContactStatus.LEFT
    if left_now and contact.left_on is None:
        contact.left_on = workspace_today(contact.account.workspace)
    if contact.status == ContactStatus.ACTIVE:
        contact.left_on = None
    _validate(contact, exclude=["workspace", "account"])
    _check_unique(contact, "external_id")
    _check_unique(contact, "email")
    contact.save()
    if left_now:
        changes.pop("status")
        timeline.contact_left_entry(contact, actor=actor, via=via).save()
    if changes:
        timeline.contact_updated_entry(contact, changes, actor=actor, via=via).save()
    return changes


# Subscriptions -----------------------------------------------------------------------------------


def _check_rate(workspace: Workspace, currency: str, day: dt.date, table: RateTable | None) -> None:
    table = table or rate_table(workspace)
    try:
        table.rate(currency, day)
    except MissingRate as exc:
        raise ValidationError({"currency": f"{exc}: add a rate in the workspace settings"}) from None


def _movement_kind(before: Decimal, after: Decimal, was_churned: bool) -> str:
    if was_churned and after > 0:
        return MovementKind.REACTIVATION
    if after == 0 and before > 0:
        return MovementKind.CHURN
    if after > before:
        return MovementKind.EXPANSION
    if after < before:
        return MovementKind.CONTRACTION
    return MovementKind.CHANGE


def _date_back(entry: TimelineEntry, effective_on: dt.date, workspace: Workspace) -> None:
    """A movement recorded for a past day sits on the timeline on that day, not on the day typed in."""
    if effective_on < workspace_today(workspace):
        entry.occurred_at = start_of_day(effective_on, workspace.time_zone)


def _last_movement(subscription: Subscription) -> SubscriptionMovement | None:
    return subscription.movements.order_by("-effective_on", "-id").first()


@transaction.atomic
def subscription_create(
    *,
    account: Account,
    actor: Member | None,
    via: str,
    product: str,
    mrr: Decimal,
    started_on: dt.date,
    term_end: dt.date,
    seats: int = 1,
    currency: str = "",
    external_id: str = "",
    table: RateTable | None = None,
    refresh: bool = True,
) -> Subscription:
    workspace = account.workspace
    subscription = Subscription(
        workspace=workspace,
        account=account,
        external_id=external_id,
        product=product,
        currency=(currency or workspace.currency).upper(),
        seats=seats,
        mrr=quantize(Decimal(mrr)),
        started_on=started_on,
        term_end=term_end,
    )
    _validate(subscription, exclude=["workspace", "account"])
    if term_end <= started_on:
        raise ValidationError({"term_end": "must be after the start date"})
    _check_unique(subscription, "external_id")
    _check_rate(workspace, subscription.currency, started_on, table)
    subscription.save()
    movement = SubscriptionMovement.objects.create(
        workspace=workspace,
        subscription=subscription,
        account=account,
        effective_on=started_on,
        kind=MovementKind.NEW,
        mrr_before=Decimal(0),
        mrr_after=subscription.mrr,
        seats_before=0,
        seats_after=subscription.seats,
        product_before="",
        product_after=subscription.product,
        currency=subscription.currency,
    )
    entry = timeline.subscription_started_entry(subscription, movement, actor=actor, via=via)
    _date_back(entry, started_on, workspace)
    entry.save()
    if refresh:
        account_refresh_mrr(account=account, table=table)
    return subscription


@transaction.atomic
def subscription_change(
    *,
    subscription: Subscription,
    actor: Member | None,
    via: str,
    effective_on: dt.date,
    mrr: Decimal | None = None,
    seats: int | None = None,
    product: str | None = None,
    term_end: dt.date | None = None,
    table: RateTable | None = None,
    refresh: bool = True,
) -> SubscriptionMovement | None:
    """Record a dated change of MRR, seats, product or term; the movement kind follows from MRR.

    An MRR of zero churns the subscription; a positive MRR on a churned one reactivates it.
    Changes are appended in date order: one dated before the last movement is refused, because the
    ledger is what MRR at past dates is computed from.
    """
    last = _last_movement(subscription)
    if last is not None and effective_on < last.effective_on:
        raise ValidationError(
            {"effective_on": f"is before the subscription's last change on {last.effective_on.isoformat()}"}
        )
    new_mrr = subscription.mrr if mrr is None else quantize(Decimal(mrr))
    new_seats = subscription.seats if seats is None else seats
    new_product = subscription.product if product is None else product
    if new_mrr < 0:
        raise ValidationError({"mrr": "must not be negative"})
    if new_seats < 0:
        raise ValidationError({"seats": "must not be negative"})
    check_value(Subscription, "mrr", new_mrr)
    check_value(Subscription, "seats", new_seats)
    if not new_product:
        raise ValidationError({"product": "must not be empty"})
    was_churned = subscription.status == SubscriptionStatus.CHURNED
    revenue_change = (new_mrr, new_seats, new_product) != (subscription.mrr, subscription.seats, subscription.product)
    movement = None
    if revenue_change or (was_churned and new_mrr > 0):
        kind = _movement_kind(subscription.mrr, new_mrr, was_churned)
        movement = SubscriptionMovement.objects.create(
            workspace_id=subscription.workspace_id,
            subscription=subscription,
            account_id=subscription.account_id,
            effective_on=effective_on,
            kind=kind,
            mrr_before=subscription.mrr,
            mrr_after=new_mrr,
            seats_before=subscription.seats,
            seats_after=new_seats,
            product_before=subscription.product,
            product_after=new_product,
            currency=subscription.currency,
        )
        subscription.mrr, subscription.seats, subscription.product = new_mrr, new_seats, new_product
        if kind == MovementKind.CHURN:
            subscription.status = SubscriptionStatus.CHURNED
            subscription.ended_on = effective_on
        elif kind == MovementKind.REACTIVATION:
            subscription.status = SubscriptionStatus.ACTIVE
            subscription.ended_on = None
    if term_end is not None and term_end != subscription.term_end:
        if term_end <= subscription.started_on:
            raise ValidationError({"term_end": "must be after the start date"})
        subscription.term_end = term_end
    subscription.save()
    if movement is not None:
        entry = timeline.subscription_changed_entry(subscription, movement, actor=actor, via=via)
        _date_back(entry, effective_on, subscription.account.workspace)
        entry.save()
    if refresh:
        account_refresh_mrr(account=subscription.account, table=table)
    return movement


def subscription_churn(
    *, subscription: Subscription, actor: Member | None, via: str, effective_on: dt.date
) -> SubscriptionMovement | None:
    return subscription_change(
        subscription=subscription, actor=actor, via=via, effective_on=effective_on, mrr=Decimal(0), seats=0
    )


# Touchpoints -------------------------------------------------------------------------------------


@transaction.atomic
def touchpoint_log(
    *,
    account: Account,
    actor: Member | None,
    via: str,
    kind: str,
    occurred_at: dt.datetime,
    summary: str,
    member: Member | None = None,
    contacts: Sequence[Contact] = (),
    next_step: str = "",
) -> Touchpoint:
    if member is not None and member.workspace_id != account.workspace_id:
        raise ValidationError({"member": "is not a member of this workspace"})
    for contact in contacts:
        if contact.account_id != account.pk:
            raise ValidationError({"contacts": f"{contact} is not a contact of {account.name}"})
    if occurred_at > timezone.now() + dt.timedelta(days=1):
        raise ValidationError({"occurred_at": "is in the future"})
    touchpoint = Touchpoint(
        workspace_id=account.workspace_id,
        account=account,
        kind=kind,
        occurred_at=occurred_at,
        member=member or actor,
        summary=summary.strip(),
        next_step=next_step.strip(),
    )
    _validate(touchpoint, exclude=["workspace", "account", "member", "contacts"])
    touchpoint.save()
    touchpoint.contacts.set(contacts)
    timeline.touchpoint_logged_entry(touchpoint, actor=actor, via=via).save()
    hooks.touchpoint_logged(touchpoint, actor)
    return touchpoint


# Segments ----------------------------------------------------------------------------------------


def _check_segment_name(workspace: Workspace, name: str, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "must not be empty"})
    if len(name) > 120:
        raise ValidationError({"name": "must be at most 120 characters"})
    clashes = Segment.objects.filter(workspace=workspace, name=name)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    if clashes.exists():
        raise ValidationError({"name": f"a segment called {name!r} already exists"})
    return name


@transaction.atomic
def segment_create(*, workspace: Workspace, actor: Member | None, name: str, criteria: dict[str, Any]) -> Segment:
    name = _check_segment_name(workspace, name)
    return Segment.objects.create(workspace=workspace, name=name, criteria=clean_criteria(criteria), created_by=actor)


@transaction.atomic
def segment_update(*, segment: Segment, name: str | None = None, criteria: dict[str, Any] | None = None) -> Segment:
    if name is not None:
        segment.name = _check_segment_name(segment.workspace, name, exclude_pk=segment.pk)
    if criteria is not None:
        segment.criteria = clean_criteria(criteria)
    segment.save()
    return segment


def segment_delete(*, segment: Segment) -> None:
    segment.delete()


# Renewal windows ---------------------------------------------------------------------------------


@transaction.atomic
def renewal_windows_open(*, workspace: Workspace, today: dt.date | None = None) -> int:
    """Write "renewal window opened" once per active subscription term whose window has started.

    Safe to run any number of times a day: each (subscription, term end) has a dedupe key, and the
    insert skips keys already written, so two overlapping runs cannot write it twice. The entries
    and the lifecycle moves they cause are one transaction: no window opens without its move.
    """
    today = today or workspace_today(workspace)
    subscriptions = (
        Subscription.objects.filter(workspace=workspace, status=SubscriptionStatus.ACTIVE, term_end__gte=today)
        .select_related("account")
        .order_by("term_end")
    )
    now = timezone.now()
    due = []
    for subscription in subscriptions:
        window = workspace.renewal_window_days(subscription.account.tier)
        opens_on = subscription.term_end - dt.timedelta(days=window)
        if opens_on <= today:
            due.append(
                timeline.renewal_window_opened_entry(
                    subscription, opened_on=opens_on, window_days=window, occurred_at=now
                )
            )
    written_keys = set(
        TimelineEntry.objects.filter(workspace=workspace, dedupe_key__in=[e.dedupe_key for e in due]).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = [entry for entry in due if entry.dedupe_key not in written_keys]
    # ignore_conflicts: a run overlapping this one may have written some of them meanwhile.
    TimelineEntry.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh:
        hooks.renewal_window_opened(sorted({entry.account_id for entry in fresh}))
    return len(fresh)
