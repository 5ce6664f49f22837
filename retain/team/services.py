"""Writes for the team: the coverage model, assignment of accounts to CSMs, balancing plans."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retain.accounts import services as account_services
from retain.accounts.choices import Stage
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.plans import services as plan_services
from retain.renewals import services as renewal_services
from retain.tasks import services as task_services
from retain.tasks.choices import TaskKind, TaskSource
from retain.team import balancing, selectors
from retain.team.choices import AssignmentVia, HandoffSource, Influence, PlanStatus, Sentiment
from retain.team.coverage import Coverage, parse_coverage
from retain.team.models import (
    Assignment,
    BalanceMove,
    BalancePlan,
    CoverageModel,
    Handoff,
    Stakeholder,
    Subsidiary,
)
from retain.tenancy.models import Member, Workspace

# How assignments and balancing moves appear on the timeline ("via").
VIA = "team"


@transaction.atomic
def coverage_save(*, workspace: Workspace, actor: Member | None, source: str) -> CoverageModel:
    """Save the workspace's coverage model; DefinitionError (line:column) when the YAML is wrong."""
    coverage = parse_coverage(source, "coverage.yaml")
    saved, _ = CoverageModel.objects.update_or_create(
        workspace=workspace,
        defaults={"source": source, "definition": coverage.as_data(), "updated_by": actor},
    )
    return saved


# Assignment -------------------------------------------------------------------------------------


@dataclass
class _Seat:
    member: Member
    max_accounts: int | None
    max_arr: Decimal | None
    accounts: int
    arr: Decimal
    last_given: int  # order of the latest assignment in this run (round-robin among equals)

    def has_room(self, arr: Decimal) -> bool:
        if self.max_accounts is not None and self.accounts + 1 > self.max_accounts:
            return False
        return self.max_arr is None or self.arr + arr <= self.max_arr

    def load(self) -> float:
        return self.accounts / self.max_accounts if self.max_accounts else float(self.accounts)

    def describe(self) -> str:
        room = f"{self.accounts} of {self.max_accounts} accounts" if self.max_accounts else f"{self.accounts} accounts"
        return f"{self.member.display_name} has room ({room})"


def _rule_values(account: Account) -> dict[str, str]:
    traits = account.traits if isinstance(account.traits, dict) else {}
    return {
        "industry": account.industry or "",
        "region": str(traits.get("region") or ""),
        "language": str(traits.get("language") or ""),
    }


def _choose(account: Account, coverage: Coverage, seats: Sequence[_Seat]) -> tuple[_Seat | None, str]:
    """The seat for one account and the reason in words."""
    kind = coverage.owner_kind(account.tier, account.stage)
    tier_label = account.get_tier_display()
    if kind is None:
        return None, f"No coverage for the {tier_label.lower()} tier"
    why_kind = (
        f"onboarding accounts go to {kind} CSMs"
        if kind == coverage.onboarding_kind and account.stage == Stage.ONBOARDING
        else f"{tier_label} tier → {kind} CSM"
    )
    of_kind = [s for s in seats if s.member.csm_kind == kind]
    if not of_kind:
        return None, f"{why_kind}, but the team has no active {kind} CSM"
    arr = account.mrr * 12
    with_room = [s for s in of_kind if s.has_room(arr)]
    if not with_room:
        return None, f"{why_kind}, but all {len(of_kind)} are at capacity"
    why_rule = ""
    values = _rule_values(account)
    for rule in coverage.rules:
        if rule.matches(values):
            preferred = [s for s in with_room if s.member.user.email.lower() in rule.csms]
            if preferred:
                with_room, why_rule = preferred, f"; {rule.field} is {rule.equals}"
                break
    best = min(s.load() for s in with_room)
    equals = [s for s in with_room if s.load() == best]
    seat = min(equals, key=lambda s: (s.last_given, s.member.pk))
    tie = f"; round-robin among {len(equals)} equally loaded" if len(equals) > 1 else "; least loaded"
    return seat, f"{why_kind}{why_rule}; {seat.describe()}{tie}"


def _seats(workspace: Workspace, coverage: Coverage) -> list[_Seat]:
    loads = selectors.loads(workspace)
    seats = []
    for member in selectors.team_csms(workspace):
        n, arr = loads.get(member.pk, (0, Decimal(0)))
        seats.append(_Seat(member, *selectors.capacity_of(member, coverage), accounts=n, arr=arr, last_given=0))
    return seats


@transaction.atomic
def accounts_assign(
    *,
    workspace: Workspace,
    accounts: Iterable[Account],
    actor: Member | None,
    via: str = AssignmentVia.BULK,
    coverage: Coverage | None = None,
) -> list[Assignment]:
    """Give each account an owner by the coverage model: the right CSM kind, capacity left, then the
    region/language/industry rules, round-robin among equally loaded CSMs. Every decision (also
    "nobody has room") is an Assignment row with its reason; a move is on the timeline too.

    A few queries whatever the number of accounts: the loads, the CSMs, one update per account,
    and the timeline and assignment rows in bulk.
    """
    coverage = coverage or selectors.coverage_of(workspace)
    seats = _seats(workspace, coverage)
    chosen: dict[int, list[Account]] = defaultdict(list)
    reasons: dict[int, str] = {}
    records: list[Assignment] = []
    for turn, account in enumerate(accounts, start=1):
        if account.workspace_id != workspace.pk:
            raise ValidationError({"accounts": f"account {account.pk} is not in this workspace"})
        seat, reason = _choose(account, coverage, seats)
        reasons[account.pk] = reason
        records.append(
            Assignment(
                workspace=workspace,
                account=account,
                owner=seat.member if seat else None,
                previous_owner=account.owner,
                via=via,
                reason=reason,
                actor=actor,
            )
        )
        if seat is None:
            continue
        seat.accounts += 1
        seat.arr += account.mrr * 12
        seat.last_given = turn
        if account.owner_id != seat.member.pk:
            chosen[seat.member.pk].append(account)
    members = {s.member.pk: s.member for s in seats}
    for owner_id, group in chosen.items():
        account_services.accounts_reassign(
            workspace=workspace, actor=actor, via=VIA, accounts=group, new_owner=members[owner_id], reasons=reasons
        )
    return Assignment.objects.bulk_create(records)


@transaction.atomic
def accounts_give(
    *, workspace: Workspace, accounts: Sequence[Account], owner: Member, actor: Member | None, reason: str
) -> list[Assignment]:
    """A manager gives accounts to a CSM by hand: each move is an Assignment row saying why (the
    reason given) and an owner change on the timeline."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "is required: say why these accounts move"})
    if len(reason) > 400:
        raise ValidationError({"reason": "must be at most 400 characters"})
    if owner.workspace_id != workspace.pk or not owner.is_active:
        raise ValidationError({"owner": "must be an active member of this workspace"})
    records = [
        Assignment(
            workspace=workspace,
            account=account,
            owner=owner,
            previous_owner=account.owner,
            via=AssignmentVia.BY_HAND,
            reason=f"Given to {owner.display_name} by hand: {reason}",
            actor=actor,
        )
        for account in accounts
        if account.owner_id != owner.pk
    ]
    account_services.accounts_reassign(
        workspace=workspace, actor=actor, via=VIA, accounts=accounts, new_owner=owner, reason=reason
    )
    return Assignment.objects.bulk_create(records)


def on_account_created(account: Account, actor: Member | None) -> None:
    """accounts.hooks handler: a new account without an owner gets one, when the workspace's saved
    coverage model says so (a workspace that never saved one keeps assigning by hand)."""
    if account.owner_id is not None:
        return
    saved = CoverageModel.objects.filter(workspace_id=account.workspace_id).first()
    if saved is None:
        return
    coverage = selectors.coverage_from(saved)
    if coverage.assign_new_accounts:
        accounts_assign(
            workspace=account.workspace,
            accounts=[account],
            actor=actor,
            via=AssignmentVia.NEW_ACCOUNT,
            coverage=coverage,
        )


def on_stage_changed(account: Account, old: str, new: str) -> None:
    """journeys.hooks handler: an account leaving onboarding for the coverage model's hand-over
    stage (or later) moves from its operational CSM to a long-term owner of its tier's kind."""
    saved = CoverageModel.objects.filter(workspace_id=account.workspace_id).first()
    if saved is None:
        return
    coverage = selectors.coverage_from(saved)
    if not coverage.onboarding_kind or not coverage.hand_over_at or old != Stage.ONBOARDING:
        return
    order = list(Stage.values)
    if order.index(new) < order.index(coverage.hand_over_at) or new == Stage.CHURNED:
        return
    owner = account.owner
    if owner is not None and owner.csm_kind != coverage.onboarding_kind:
        return  # already with a long-term owner
    accounts_assign(
        workspace=account.workspace, accounts=[account], actor=None, via=AssignmentVia.HAND_OVER, coverage=coverage
    )


# Balancing --------------------------------------------------------------------------------------


@transaction.atomic
def plan_propose(*, workspace: Workspace, actor: Member | None) -> BalancePlan:
    """A draft plan of moves that brings every CSM within capacity and near the average load."""
    coverage = selectors.coverage_of(workspace)
    csms = selectors.team_csms(workspace)
    facts = selectors.account_facts(workspace, [m.pk for m in csms])
    people, items = selectors.balancing_input(workspace, csms, facts, coverage)
    proposal = balancing.propose(people, items, tolerance_pct=coverage.balance_tolerance_pct)
    plan = BalancePlan.objects.create(
        workspace=workspace,
        created_by=actor,
        unmet=[{"kind": u.kind, "csm": u.csm, "message": u.message} for u in proposal.unmet],
    )
    BalanceMove.objects.bulk_create(
        BalanceMove(plan=plan, account_id=m.account, from_owner_id=m.from_owner, to_owner_id=m.to_owner, why=m.why)
        for m in proposal.moves
    )
    return plan


def _require_draft(plan: BalancePlan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": f"this plan is {plan.get_status_display().lower()}; propose a new one"})


@transaction.atomic
def plan_move_update(
    *, plan: BalancePlan, move: BalanceMove, included: bool | None = None, to_owner: Member | None = None
) -> BalanceMove:
    """A manager's edit: leave a move out, or send the account to another CSM of the same workspace."""
    _require_draft(plan)
    if move.plan_id != plan.pk:
        raise ValidationError({"move": "is not part of this plan"})
    if included is not None:
        move.included = included
    if to_owner is not None:
        if to_owner.workspace_id != plan.workspace_id or not to_owner.is_active:
            raise ValidationError({"to_owner": "must be an active member of this workspace"})
        if to_owner.pk == move.from_owner_id:
            raise ValidationError({"to_owner": "is the account's current owner; leave the move out instead"})
        move.to_owner = to_owner
        move.why = "chosen by a manager"
    move.save(update_fields=["included", "to_owner", "why"])
    return move


@dataclass(frozen=True)
class Applied:
    moved: int
    skipped: list[str]


@transaction.atomic
def plan_apply(*, plan: BalancePlan, actor: Member | None) -> Applied:
    """Apply the included moves: the owner changes (on the timeline, with the reason), open tasks
    and renewals the old owner held on the account go with it. An account whose owner changed
    since the proposal is skipped and named."""
    plan = BalancePlan.objects.select_for_update().get(pk=plan.pk)
    _require_draft(plan)
    workspace = plan.workspace
    moves = list(plan.moves.filter(included=True).select_related("account", "from_owner__user", "to_owner__user"))
    skipped: list[str] = []
    groups: dict[tuple[int, int], list[BalanceMove]] = defaultdict(list)
    for move in moves:
        if move.account.owner_id != move.from_owner_id:
            skipped.append(f"{move.account.name}: its owner changed since the proposal")
            continue
        groups[(move.from_owner_id, move.to_owner_id)].append(move)
    records: list[Assignment] = []
    moved = 0
    for group in groups.values():
        old, new = group[0].from_owner, group[0].to_owner
        accounts = [m.account for m in group]
        reasons = {m.account_id: f"balancing plan {plan.pk}: {m.why}" for m in group}
        moved += account_services.accounts_reassign(
            workspace=workspace, actor=actor, via=VIA, accounts=accounts, new_owner=new, reasons=reasons
        )
        ids = [a.pk for a in accounts]
        task_services.tasks_follow_owner(workspace=workspace, account_ids=ids, old_owner=old, new_owner=new)
        renewal_services.renewals_follow_owner(workspace=workspace, account_ids=ids, old_owner=old, new_owner=new)
        records += [
            Assignment(
                workspace=workspace,
                account_id=m.account_id,
                owner=new,
                previous_owner=old,
                via=AssignmentVia.BALANCING,
                reason=reasons[m.account_id],
                actor=actor,
            )
            for m in group
        ]
    Assignment.objects.bulk_create(records)
    plan.status = PlanStatus.APPLIED
    plan.applied_at = timezone.now()
    plan.applied_by = actor
    plan.save(update_fields=["status", "applied_at", "applied_by"])
    return Applied(moved, skipped)


@transaction.atomic
def plan_discard(*, plan: BalancePlan, actor: Member | None) -> BalancePlan:
    _require_draft(plan)
    plan.status = PlanStatus.DISCARDED
    plan.save(update_fields=["status"])
    return plan


# The hand-off from sales -------------------------------------------------------------------------

KICKOFF_DAYS = 3  # the welcome playbooks book the kickoff call within three days
DEFAULT_PROMISE_DAYS = 30  # a promise without a date is due 30 days after the close


def _texts(field_name: str, values: object, limit: int = 300) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError({field_name: "must be a list of texts"})
    cleaned = [v.strip() for v in values if v.strip()]
    if any(len(v) > limit for v in cleaned):
        raise ValidationError({field_name: f"each must be at most {limit} characters"})
    return cleaned


def _stakeholders(values: object) -> list[dict[str, str]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise ValidationError({"stakeholders": "must be a list of {name, email, role}"})
    cleaned = []
    for index, item in enumerate(values):
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise ValidationError({f"stakeholders[{index}].name": "is required"})
        cleaned.append({k: str(item.get(k) or "").strip()[:200] for k in ("name", "email", "role")})
    return cleaned


def _promises(values: object) -> list[dict[str, str | None]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise ValidationError({"promises": "must be a list of {what, by}"})
    cleaned: list[dict[str, str | None]] = []
    for index, item in enumerate(values):
        what = str(item.get("what") or "").strip() if isinstance(item, dict) else ""
        if not what:
            raise ValidationError({f"promises[{index}].what": "is required"})
        by = item.get("by")
        if by:
            try:
                by = dt.date.fromisoformat(str(by)).isoformat()
            except ValueError:
                raise ValidationError({f"promises[{index}].by": "must be a date (YYYY-MM-DD)"}) from None
        cleaned.append({"what": what[:280], "by": by or None})
    return cleaned


@transaction.atomic
def handoff_record(
    *,
    account: Account,
    actor: Member | None,
    source: str,
    sold: str,
    closed_on: dt.date | None = None,
    goals: object = None,
    stakeholders: object = None,
    promises: object = None,
    risks: object = None,
) -> Handoff:
    """Record the hand-off when the deal closes and seed the account's plans from it: each goal a
    success-plan goal, each promise a commitment of the owner (its date, or 30 days after the close),
    and a kickoff task, due three days after the close, whose description carries the hand-off."""
    if source not in HandoffSource.values:
        raise ValidationError({"source": f"must be one of {', '.join(HandoffSource.values)}"})
    if not (sold or "").strip():
        raise ValidationError({"sold": "is required: what was sold"})
    if Handoff.objects.filter(account=account).exists():
        raise ValidationError({"account": "already has a hand-off"})
    closed_on = closed_on or workspace_today(account.workspace)
    handoff = Handoff.objects.create(
        workspace_id=account.workspace_id,
        account=account,
        sold=sold.strip()[:2000],
        goals=_texts("goals", goals),
        stakeholders=_stakeholders(stakeholders),
        promises=_promises(promises),
        risks=_texts("risks", risks),
        closed_on=closed_on,
        source=source,
        created_by=actor,
    )
    plan = plan_services.plan_get_or_create(account=account, actor=actor)
    for goal in handoff.goals:
        plan_services.goal_add(plan=plan, actor=actor, title=goal[:200])
    owner = account.owner
    if owner is not None and owner.is_active:
        for promise in handoff.promises:
            due = (
                dt.date.fromisoformat(promise["by"])
                if promise["by"]
                else closed_on + dt.timedelta(days=DEFAULT_PROMISE_DAYS)
            )
            plan_services.commitment_add(
                plan=plan,
                actor=actor,
                description=f"Promised in the sale: {promise['what']}"[:300],
                due_on=due,
                owner_member=owner,
            )
    task_services.task_create(
        account=account,
        title=f"Kickoff call with {account.name}",
        kind=TaskKind.CALL,
        due_on=closed_on + dt.timedelta(days=KICKOFF_DAYS),
        owner=owner,
        description=handoff_text(handoff),
        source=TaskSource.MANUAL,
        source_ref=f"handoff:{handoff.pk}",
        actor=actor,
        via=VIA,
    )
    return handoff


def handoff_text(handoff: Handoff) -> str:
    """The hand-off as the kickoff task shows it."""
    lines = [f"Hand-off from sales (closed {handoff.closed_on:%Y-%m-%d}).", f"Sold: {handoff.sold}"]
    if handoff.goals:
        lines += ["Their goals:", *(f"- {g}" for g in handoff.goals)]
    if handoff.stakeholders:
        lines += ["Stakeholders:", *(f"- {s['name']}, {s['role'] or 'role not given'}" for s in handoff.stakeholders)]
    if handoff.promises:
        lines += ["Promised:", *(f"- {p['what']}" + (f" by {p['by']}" if p["by"] else "") for p in handoff.promises)]
    if handoff.risks:
        lines += ["Risks:", *(f"- {r}" for r in handoff.risks)]
    return "\n".join(lines)


# Stakeholders and groups ------------------------------------------------------------------------


@transaction.atomic
def stakeholder_set(
    *,
    contact: Contact,
    actor: Member | None,
    influence: str | None = None,
    sentiment: str | None = None,
    is_executive_sponsor: bool | None = None,
) -> Stakeholder:
    """Place a contact on the stakeholder map; naming a sponsor unnames the account's previous one."""
    if influence is not None and influence not in Influence.values:
        raise ValidationError({"influence": f"must be one of {', '.join(Influence.values)}"})
    if sentiment is not None and sentiment not in Sentiment.values:
        raise ValidationError({"sentiment": f"must be one of {', '.join(Sentiment.values)}"})
    row, _ = Stakeholder.objects.get_or_create(contact=contact, defaults={"workspace_id": contact.workspace_id})
    if influence is not None:
        row.influence = influence
    if sentiment is not None:
        row.sentiment = sentiment
    if is_executive_sponsor:
        Stakeholder.objects.filter(contact__account_id=contact.account_id, is_executive_sponsor=True).exclude(
            pk=row.pk
        ).update(is_executive_sponsor=False)
    if is_executive_sponsor is not None:
        row.is_executive_sponsor = is_executive_sponsor
    row.save()
    return row


@transaction.atomic
def subsidiary_link(*, parent: Account, child: Account, actor: Member | None) -> Subsidiary:
    """Make `child` a subsidiary of `parent` (one level: no parent is a child, no child a parent)."""
    if parent.workspace_id != child.workspace_id:
        raise ValidationError({"child": "must be in the parent's workspace"})
    if parent.pk == child.pk:
        raise ValidationError({"child": "cannot be its own parent"})
    if Subsidiary.objects.filter(child=parent).exists():
        raise ValidationError({"parent": f"{parent.name} is itself a subsidiary; link to its parent instead"})
    if Subsidiary.objects.filter(parent=child).exists():
        raise ValidationError({"child": f"{child.name} has subsidiaries of its own"})
    if Subsidiary.objects.filter(child=child).exists():
        raise ValidationError({"child": f"{child.name} already belongs to a group"})
    return Subsidiary.objects.create(workspace_id=parent.workspace_id, parent=parent, child=child)


@transaction.atomic
def subsidiary_unlink(*, child: Account, actor: Member | None) -> bool:
    """Take `child` out of its group (it stands alone again); False when it was in none."""
    deleted, _ = Subsidiary.objects.filter(workspace_id=child.workspace_id, child=child).delete()
    return bool(deleted)
