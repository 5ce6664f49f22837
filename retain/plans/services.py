"""Writes to success plans and shared links. Every change to a plan leaves a PlanEvent in words.

Each service is one transaction: the change, its PlanEvent and the plan's updated_at are written
together or not at all, so the history never tells of a change that was not made (or misses one).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retain.accounts.choices import ContactRole, ContactStatus
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.health.catalogue import MEASURES
from retain.health.measures import UnknownMeasure, compute_measures
from retain.health.models import WarehouseMeasure
from retain.health.warehouse.kinds import HIGHER as WAREHOUSE_HIGHER
from retain.health.warehouse.kinds import LOWER as WAREHOUSE_LOWER
from retain.journeys.models import Journey
from retain.lib.columns import check_columns, check_value
from retain.lib.tokens import new_token
from retain.plans import onboarding
from retain.plans.choices import CommitmentStatus, LinkPurpose, PlanStatus
from retain.plans.models import (
    Commitment,
    Goal,
    Objective,
    PlanEvent,
    SharedLink,
    SuccessMetric,
    SuccessPlan,
)
from retain.tenancy.models import Member, Workspace

DEFAULT_LINK_DAYS = 30
MAX_LINK_DAYS = 365


def _record(plan: SuccessPlan, actor: Member | None, summary: str) -> None:
    PlanEvent.objects.create(plan=plan, actor=actor, summary=summary[:400])
    SuccessPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())


@transaction.atomic
def plan_get_or_create(*, account: Account, actor: Member | None) -> SuccessPlan:
    plan, created = SuccessPlan.objects.get_or_create(account=account, defaults={"workspace_id": account.workspace_id})
    if created:
        _record(plan, actor, "Plan started")
    return plan


@transaction.atomic
def plan_update(*, plan: SuccessPlan, actor: Member | None, vision: str, status: str) -> SuccessPlan:
    if status not in PlanStatus.values:
        raise ValidationError({"status": f"status must be one of {', '.join(PlanStatus.values)}"})
    changes = []
    if vision != plan.vision:
        changes.append("vision rewritten")
    if status != plan.status:
        changes.append(f"status {plan.get_status_display()} → {PlanStatus(status).label}")
    if changes:
        plan.vision, plan.status = vision, status
        plan.save(update_fields=["vision", "status", "updated_at"])
        _record(plan, actor, "Plan: " + ", ".join(changes))
    return plan


def _title(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({field: "This field is required."})
    return value


@transaction.atomic
def goal_add(*, plan: SuccessPlan, actor: Member | None, title: str) -> Goal:
    goal = Goal.objects.create(plan=plan, title=_title(title, "title"), position=plan.goals.count())
    _record(plan, actor, f"Goal added: {goal.title}")
    return goal


@transaction.atomic
def objective_add(*, goal: Goal, actor: Member | None, title: str) -> Objective:
    objective = Objective.objects.create(goal=goal, title=_title(title, "title"), position=goal.objectives.count())
    _record(goal.plan, actor, f"Objective added to “{goal.title}”: {objective.title}")
    return objective


@transaction.atomic
def plan_item_rename(*, item: Goal | Objective, actor: Member | None, title: str) -> Goal | Objective:
    """Give a goal or an objective a new title; the plan's history keeps the old one."""
    old, new = item.title, _title(title, "title")
    if new == old:
        return item
    item.title = new
    item.save(update_fields=["title"])
    plan = item.plan if isinstance(item, Goal) else item.goal.plan
    _record(plan, actor, f"{type(item).__name__} renamed: “{old}” → “{new}”")
    return item


def _check_kind(measure_kind: str, workspace_id: int) -> None:
    if measure_kind and measure_kind not in MEASURES:
        raise ValidationError({"measure_kind": f"{measure_kind!r} is not a measure kind"})
    prefix, _, key = measure_kind.partition(".")
    if prefix in (WAREHOUSE_HIGHER, WAREHOUSE_LOWER):
        found = WarehouseMeasure.objects.filter(workspace_id=workspace_id, key=key).first()
        if found is None:
            raise ValidationError({"measure_kind": f"no warehouse measure {key!r} in this workspace"})
        if found.kind != measure_kind:
            raise ValidationError({"measure_kind": f"the warehouse measure {key!r} is {found.kind}"})


@transaction.atomic
def metric_add(
    *,
    objective: Objective,
    actor: Member | None,
    name: str,
    unit: str = "",
    start_value: Decimal,
    target_value: Decimal,
    current_value: Decimal | None = None,
    measure_kind: str = "",
) -> SuccessMetric:
    _check_kind(measure_kind, objective.goal.plan.workspace_id)
    metric = SuccessMetric(
        objective=objective,
        name=_title(name, "name"),
        unit=unit.strip(),
        start_value=start_value,
        current_value=start_value if current_value is None else current_value,
        target_value=target_value,
        measure_kind=measure_kind,
    )
    check_columns(metric)
    metric.save()
    bound = f", bound to {MEASURES[measure_kind].name}" if measure_kind else ""
    _record(
        objective.goal.plan,
        actor,
        f"Metric added: {metric.name} from {_num(metric.start_value)} to {_num(metric.target_value)}{bound}",
    )
    return metric


@transaction.atomic
def metric_set_current(*, metric: SuccessMetric, actor: Member | None, current_value: Decimal) -> SuccessMetric:
    if metric.measure_kind:
        raise ValidationError({"current_value": "this metric updates itself from usage"})
    check_value(SuccessMetric, "current_value", current_value)
    before = metric.current_value
    if current_value != before:
        metric.current_value = current_value
        metric.save(update_fields=["current_value"])
        plan = metric.objective.goal.plan
        _record(plan, actor, f"Metric {metric.name}: {_num(before)} → {_num(current_value)}")
    return metric


def _num(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def metrics_refresh(*, workspace: Workspace, day: dt.date | None = None) -> int:
    """Bring every bound metric of the workspace up to date from the health measures on `day`.

    One compute_measures call per workspace for all bound kinds. A metric whose measure has no
    value (no usage data yet) keeps its last value. Returns how many metrics changed.
    """
    day = day or workspace_today(workspace)
    metrics = list(
        SuccessMetric.objects.filter(objective__goal__plan__workspace=workspace)
        .exclude(measure_kind="")
        .select_related("objective__goal__plan")
    )
    if not metrics:
        return 0
    account_ids = {metric.objective.goal.plan.account_id for metric in metrics}
    kinds = {metric.measure_kind for metric in metrics if metric.measure_kind in MEASURES}
    values = _measure_values(workspace, account_ids, day, kinds)
    changed = 0
    with transaction.atomic():
        for metric in metrics:
            plan = metric.objective.goal.plan
            value = values.get(plan.account_id, {}).get(metric.measure_kind)
            if value is None:
                continue
            current = Decimal(str(round(float(value), 4)))
            if current == metric.current_value and metric.current_as_of == day:
                continue
            before = metric.current_value
            metric.current_value, metric.current_as_of = current, day
            metric.save(update_fields=["current_value", "current_as_of"])
            if current != before:
                changed += 1
                _record(plan, None, f"Metric {metric.name}: {_num(before)} → {_num(current)} from usage on {day}")
    return changed


def _measure_values(
    workspace: Workspace, account_ids: set[int], day: dt.date, kinds: set[str]
) -> dict[int, dict[str, float | None]]:
    """The measures in one query set; a kind in the catalogue that nothing computes (yet) is left
    out rather than failing every other metric of the workspace."""
    try:
        return compute_measures(workspace, account_ids, day, kinds=kinds)
    except UnknownMeasure:
        values: dict[int, dict[str, float | None]] = {}
        for kind in kinds:
            try:
                found = compute_measures(workspace, account_ids, day, kinds=[kind])
            except UnknownMeasure:
                continue
            for account_id, row in found.items():
                values.setdefault(account_id, {}).update(row)
        return values


@transaction.atomic
def commitment_add(
    *,
    plan: SuccessPlan,
    actor: Member | None,
    description: str,
    due_on: dt.date,
    owner_contact: Contact | None = None,
    owner_member: Member | None = None,
) -> Commitment:
    """A joint accountability owned by exactly one person: a contact of the account or a member."""
    if (owner_contact is None) == (owner_member is None):
        raise ValidationError({"owner": "a commitment is owned by either a customer contact or a team member"})
    if owner_contact is not None and owner_contact.account_id != plan.account_id:
        raise ValidationError({"owner_contact": "the contact must belong to this account"})
    if owner_member is not None and (owner_member.workspace_id != plan.workspace_id or not owner_member.is_active):
        raise ValidationError({"owner_member": "the member must be an active member of this workspace"})
    commitment = Commitment.objects.create(
        plan=plan,
        description=_title(description, "description"),
        due_on=due_on,
        owner_contact=owner_contact,
        owner_member=owner_member,
    )
    owner = owner_contact.full_name if owner_contact is not None else owner_member.display_name  # type: ignore[union-attr]  # the check above makes one of the two owners set
    _record(plan, actor, f"Commitment added: {commitment.description} ({owner}, due {due_on})")
    return commitment


@transaction.atomic
def commitment_set_status(*, commitment: Commitment, actor: Member | None, status: str) -> Commitment:
    if status not in CommitmentStatus.values:
        raise ValidationError({"status": f"status must be one of {', '.join(CommitmentStatus.values)}"})
    if status != commitment.status:
        before = commitment.get_status_display()
        commitment.status = status
        commitment.save(update_fields=["status"])
        _record(
            commitment.plan, actor, f"Commitment {commitment.description}: {before} → {CommitmentStatus(status).label}"
        )
    return commitment


@transaction.atomic
def shared_link_create(
    *,
    account: Account,
    actor: Member | None,
    purpose: str = LinkPurpose.SUCCESS_PLAN,
    days: int = DEFAULT_LINK_DAYS,
) -> tuple[SharedLink, str]:
    """A new read-only link for the customer; returns the row and the raw token (shown once)."""
    if purpose not in LinkPurpose.values:
        raise ValidationError({"purpose": f"purpose must be one of {', '.join(LinkPurpose.values)}"})
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationError({"days": f"a link lives between 1 and {MAX_LINK_DAYS} days"})
    raw, hashed = new_token()
    link = SharedLink.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        purpose=purpose,
        token_hash=hashed,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    plan = SuccessPlan.objects.filter(account=account).first()
    if plan is not None:
        _record(plan, actor, f"Shared link created, expires {link.expires_at:%Y-%m-%d}")
    return link, raw


@transaction.atomic
def shared_link_revoke(*, link: SharedLink, actor: Member | None) -> SharedLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        plan = SuccessPlan.objects.filter(account_id=link.account_id).first()
        if plan is not None:
            _record(plan, actor, "Shared link revoked")
    return link


def plan_item_remove(*, item: Goal | Objective | SuccessMetric | Commitment, actor: Member | None) -> None:
    """Remove a goal, objective, metric or commitment (and what hangs under it); the history keeps its name."""
    if isinstance(item, Goal):
        plan, what = item.plan, f"Goal removed: {item.title}"
    elif isinstance(item, Objective):
        plan, what = item.goal.plan, f"Objective removed: {item.title}"
    elif isinstance(item, SuccessMetric):
        plan, what = item.objective.goal.plan, f"Metric removed: {item.name}"
    else:
        plan, what = item.plan, f"Commitment removed: {item.description}"
    with transaction.atomic():
        item.delete()
        _record(plan, actor, what)


# The 30/60/90-day plan ----------------------------------------------------------------------------

ONBOARDING_DAYS = 90


def onboarding_milestones(account: Account) -> tuple[dt.date | None, list[onboarding.MilestoneDue]]:
    """The day the account's journey started and its milestones with due dates (None, [] off journey)."""
    journey = Journey.objects.filter(account=account).first()
    if journey is None:
        return None, []
    rows = journey.progress.order_by("order")
    return journey.started_on, [onboarding.MilestoneDue(p.key, p.name, p.due_on, p.get_status_display()) for p in rows]


def _customer_owner(account: Account) -> Contact | None:
    """The champion, else an admin: the person on the customer's side who owns their steps."""
    contacts = Contact.objects.filter(
        account=account, status=ContactStatus.ACTIVE, role__in=[ContactRole.CHAMPION, ContactRole.ADMIN]
    )
    by_role: dict[str, Contact] = {}
    for contact in contacts.order_by("id"):
        by_role.setdefault(contact.role, contact)
    return by_role.get(ContactRole.CHAMPION) or by_role.get(ContactRole.ADMIN)


@transaction.atomic
def onboarding_plan_generate(*, account: Account, actor: Member | None, starts_on: dt.date | None = None) -> int:
    """Write the account's 30/60/90-day plan into its success plan's commitments; returns how many
    were added.

    Day 1 is the day its journey started (else `starts_on`, else the customer-since day). Customer
    steps are owned by the champion (else an admin contact, else the account's owner); ours by the
    account's owner (else the actor); a step nobody can own is left out. Idempotent: a step the plan
    already has (by its source key, or by its description for a commitment typed in) is not added
    again, so edits to it, its description included, are kept.
    """
    journey_start, milestones = onboarding_milestones(account)
    first_day = journey_start or starts_on or account.customer_since or workspace_today(account.workspace)
    member = account.owner if account.owner is not None and account.owner.is_active else actor
    contact = _customer_owner(account)
    plan = plan_get_or_create(account=account, actor=actor)
    existing = list(plan.commitments.values_list("source_key", "description"))
    have_keys = {key for key, _ in existing if key}
    have = {description.casefold() for _, description in existing}
    fresh: list[Commitment] = []
    for item in onboarding.plan_items(account.tier, first_day, milestones):
        if item.key in have_keys or item.description.casefold() in have:
            continue
        if item.side == onboarding.CUSTOMER and contact is not None:
            owners: dict[str, object] = {"owner_contact": contact}
        elif member is not None:
            owners = {"owner_member": member}
        else:
            continue
        fresh.append(
            Commitment(plan=plan, description=item.description, due_on=item.due_on, source_key=item.key, **owners)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
        )
    if fresh:
        Commitment.objects.bulk_create(fresh)
        _record(plan, actor, f"30/60/90-day plan: {len(fresh)} commitments added from day 1 on {first_day}")
    return len(fresh)


def onboarding_plan_on_journey_start(*, account: Account, started_on: dt.date, today: dt.date) -> int:
    """A new customer (journey started in the last 90 days) gets its 30/60/90-day plan; others none."""
    if not 0 <= (today - started_on).days < ONBOARDING_DAYS:
        return 0
    return onboarding_plan_generate(account=account, actor=None)
