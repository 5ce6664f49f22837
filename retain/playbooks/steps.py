"""The steps a playbook runs, looked up by kind: each turns its validated options into effects.

A step function gets the enrolment, its options (cleaned by playbooks.definition) and the time,
and returns an Outcome: ok or skipped with a result to keep, a wait (the enrolment sleeps until
then and goes on with the next step), or a deferral (this very step runs again then, as
"escalate" does until its task has been open long enough). It runs inside the transaction that
writes its StepRun, so a step that raises leaves nothing behind; deliveries are queued in the
outbox (messaging) with an idempotency key, never sent from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from retain.accounts import services as account_services
from retain.accounts.choices import ContactStatus
from retain.accounts.models import Account, Contact
from retain.accounts.selectors import workspace_today
from retain.journeys.models import MilestoneProgress
from retain.messaging.choices import DeliveryStatus
from retain.messaging.templating import account_values, message_values, render_text
from retain.playbooks import definition
from retain.playbooks.choices import AdvocacyAsk, StepKind, StepStatus
from retain.playbooks.definition import task_kinds
from retain.playbooks.models import DigestItem, Enrollment, Playbook, StepRun
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

VIA = "playbook"


class StepError(Exception):
    """A step that cannot do what it says (no such member, no such playbook): the enrolment fails."""


@dataclass(frozen=True)
class StepInput:
    enrollment: Enrollment
    playbook: Playbook
    index: int
    options: dict[str, Any]
    now: dt.datetime

    @property
    def account(self) -> Account:
        return self.enrollment.account

    @cached_property
    def account_values(self) -> dict[str, Any]:
        """The account's template values, read once for every text the step renders."""
        return account_values(self.account)

    @property
    def source_ref(self) -> str:
        return f"playbook:{self.playbook.key}/enrollment:{self.enrollment.pk}"

    def key(self, suffix: str = "") -> str:
        return f"enr:{self.enrollment.pk}:step:{self.index}{suffix}"


@dataclass
class Outcome:
    status: str = StepStatus.OK
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    wait_until: dt.datetime | None = None
    defer_until: dt.datetime | None = None
    # What the step did, for the account's timeline; empty when there is nothing to tell.
    summary: str = ""


def skipped(reason: str, **result: Any) -> Outcome:
    return Outcome(status=StepStatus.SKIPPED, result={"reason": reason, **result})


# Helpers -----------------------------------------------------------------------------------------


def render(template: str, inp: StepInput, contact: Contact | None = None) -> str:
    """A step's text with the plain values of its account (and contact): never a model instance."""
    return render_text(template, message_values(account=inp.account, contact=contact, base=inp.account_values))


def _members(account: Account) -> Any:
    return Member.objects.filter(workspace_id=account.workspace_id, is_active=True).select_related("user")


def _first_manager(account: Account) -> Member | None:
    members = _members(account)
    return (
        members.filter(role=Role.MANAGER).order_by("pk").first()
        or members.filter(role=Role.ADMIN).order_by("pk").first()
    )


def manager_for(member: Member | None, account: Account) -> Member | None:
    from retain.tasks.selectors import manager_of

    if member is None:
        return _first_manager(account)
    return manager_of(member)


def resolve_assignee(assignee: str, account: Account) -> Member | None:
    """owner | manager | role:<role or CSM kind> | a member e-mail → the member, or StepError."""
    owner = account.owner
    if assignee == "owner":
        return owner
    if assignee == "manager":
        return manager_for(owner, account)
    if assignee.startswith("role:"):
        role = assignee[5:]
        if owner is not None and owner.is_active and role in (owner.role, owner.csm_kind):
            return owner
        found = _members(account).filter(role=role).order_by("pk").first()
        found = found or _members(account).filter(csm_kind=role).order_by("pk").first()
        if found is None:
            raise StepError(f"no active member with the role {role}")
        return found
    member = _members(account).filter(user__email__iexact=assignee).first()
    if member is None:
        raise StepError(f"{assignee} is not an active member of this workspace")
    return member


def _create_task(inp: StepInput, **fields: Any) -> Any:
    from retain.tasks.services import task_create

    task = task_create(account=inp.account, source="playbook", source_ref=inp.source_ref, actor=None, via=VIA, **fields)
    inp.enrollment.context.setdefault("tasks", {})[str(inp.index)] = task.pk
    return task


def _digest(inp: StepInput, member: Member | None, text: str) -> bool:
    """In a digest playbook, hold an alert for the member's daily digest; False when it cannot be held."""
    if not inp.playbook.definition.get("digest") or member is None:
        return False
    DigestItem.objects.get_or_create(
        enrollment=inp.enrollment,
        step_index=inp.index,
        member=member,
        defaults={
            "workspace_id": inp.account.workspace_id,
            "day": workspace_today(inp.account.workspace),
            "account": inp.account,
            "text": text[:500],
        },
    )
    return True


# The steps ---------------------------------------------------------------------------------------


def task_step(inp: StepInput) -> Outcome:
    options = inp.options
    owner = resolve_assignee(options["assignee"], inp.account)
    today = workspace_today(inp.account.workspace)
    task = _create_task(
        inp,
        title=render(options["title"], inp)[:200],
        kind=options["kind"],
        due_on=today + dt.timedelta(days=options["due_in_days"]),
        owner=owner,
        priority=options["priority"],
        checklist=tuple(options["checklist"]),
        description=render(options["description"], inp) if options["description"] else "",
    )
    result: dict[str, Any] = {"task": task.pk, "owner": owner.pk if owner else None}
    if _digest(inp, owner, f"{inp.account.name}: new task {task.title!r}, due {task.due_on.isoformat()}"):
        result["digest"] = True
    return Outcome(
        result=result,
        summary=f"task for {owner or 'nobody'}: {task.title}",
    )


def email_step(inp: StepInput) -> Outcome:
    from retain.messaging.services import email_enqueue

    roles = inp.options["to"]
    contacts = list(
        inp.account.contacts.filter(role__in=roles, status=ContactStatus.ACTIVE).exclude(email="").order_by("pk")
    )
    if not contacts:
        return skipped(f"no active contact with an e-mail address as {', '.join(roles)}")
    messages = []
    for contact in contacts:
        message = email_enqueue(
            account=inp.account,
            contact=contact,
            subject=render(inp.options["subject"], inp, contact),
            body=render(inp.options["body"], inp, contact),
            idempotency_key=inp.key(f":contact:{contact.pk}"),
            source=inp.source_ref,
        )
        messages.append({"message": message.pk, "contact": contact.pk, "status": message.status})
    queued = [contact for contact, m in zip(contacts, messages, strict=True) if m["status"] == DeliveryStatus.QUEUED]
    summary = f"e-mail queued for {', '.join(str(c) for c in queued)}" if queued else ""
    return Outcome(result={"messages": messages}, summary=summary)


def _rendered(value: Any, inp: StepInput) -> Any:
    if isinstance(value, str):
        return render(value, inp)
    if isinstance(value, list):
        return [_rendered(item, inp) for item in value]
    if isinstance(value, dict):
        return {key: _rendered(item, inp) for key, item in value.items()}
    return value


def slack_step(inp: StepInput) -> Outcome:
    from retain.messaging.services import webhook_enqueue

    text = render(inp.options["text"], inp)
    # A digest playbook tells the account's owner in the daily digest instead (an account
    # without an owner has nobody's digest to go to, so it is posted as usual).
    if _digest(inp, inp.account.owner, f"{inp.account.name}: {text}"):
        return Outcome(result={"digest": True, "owner": inp.account.owner_id})
    message = webhook_enqueue(
        workspace=inp.account.workspace,
        account=inp.account,
        channel="slack",
        url=inp.options["url"],
        payload={"text": text},
        idempotency_key=inp.key(),
        source=inp.source_ref,
    )
    return Outcome(result={"message": message.pk}, summary="Slack post queued")


def webhook_step(inp: StepInput) -> Outcome:
    from retain.messaging.services import webhook_enqueue

    payload = _rendered(inp.options["payload"], inp)
    message = webhook_enqueue(
        workspace=inp.account.workspace,
        account=inp.account,
        channel="webhook",
        url=inp.options["url"],
        payload=payload,
        idempotency_key=inp.key(),
        source=inp.source_ref,
    )
    return Outcome(result={"message": message.pk}, summary=f"webhook queued for {inp.options['url']}")


def set_step(inp: StepInput) -> Outcome:
    # Read afresh under a lock: another enrolment (here or in another worker) may have just
    # changed the same account, and a stale copy would write its old traits back.
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("workspace", "owner").get(pk=inp.account.pk)
    )
    inp.enrollment.account = account
    name, value = inp.options["field"], inp.options["value"]
    reason = f"Playbook {inp.playbook.name}"
    if name == "stage":
        from retain.journeys.services import lifecycle_move

        changed = lifecycle_move(account=account, actor=None, stage=value, reason=reason, via=VIA, auto=True)
        return Outcome(result={"field": name, "value": value, "changed": changed})
    if name == "owner":
        value = resolve_assignee(value, account)
    elif name == "tag" or name.startswith("traits."):
        traits = dict(account.traits or {})
        if name == "tag":
            tags = list(traits.get("tags") or [])
            if value in tags:
                return Outcome(result={"field": name, "value": value, "changed": False})
            traits["tags"] = [*tags, value]
        else:
            traits[name[7:]] = value
        name, value = "traits", traits
    changes = account_services.account_update(account=account, actor=None, via=VIA, reason=reason, **{name: value})
    field_name, shown = inp.options["field"], inp.options["value"]
    # account_update wrote the change on the timeline already.
    return Outcome(result={"field": field_name, "value": shown, "changed": bool(changes)})


def wait_step(inp: StepInput) -> Outcome:
    until = inp.now + dt.timedelta(days=inp.options["days"])
    return Outcome(result={"until": until.isoformat()}, wait_until=until)


def enrol_step(inp: StepInput) -> Outcome:
    key = inp.options["playbook"]
    target = Playbook.objects.filter(workspace_id=inp.playbook.workspace_id, key=key, is_current=True).first()
    if target is None:
        raise StepError(f"there is no playbook {key}")
    if not target.is_active:
        return skipped(f"the playbook {key} is switched off")
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                workspace_id=target.workspace_id,
                playbook=target,
                playbook_key=target.key,
                account=inp.account,
                occurrence_key=f"via:{inp.enrollment.pk}",
                due_at=inp.now,
                fired_at=inp.now,
                context={"reason": f"enrolled by {inp.playbook.key}", "via": inp.enrollment.pk},
            )
        ],
        ignore_conflicts=True,
    )
    made = Enrollment.objects.filter(
        workspace_id=target.workspace_id,
        playbook_key=key,
        account=inp.account,
        occurrence_key=f"via:{inp.enrollment.pk}",
    ).values_list("pk", flat=True)
    return Outcome(result={"playbook": key, "enrollment": made.first()}, summary=f"enrolled in {target.name}")


def _task_of_step(inp: StepInput, index: int) -> int | None:
    made = inp.enrollment.context.get("tasks", {}).get(str(index))
    if made is not None:
        return int(made)
    run = StepRun.objects.filter(enrollment=inp.enrollment, index=index).first()
    return run.result.get("task") if run is not None else None


def escalate_step(inp: StepInput) -> Outcome:
    from retain.tasks.models import Task

    step, after_days = inp.options["step"], inp.options["after_days"]
    task_id = _task_of_step(inp, step)
    task = Task.objects.select_related("owner").filter(pk=task_id).first() if task_id else None
    if task is None:
        return skipped(f"step {step} made no task")
    if not task.is_open:
        return skipped(f"the task of step {step} is {task.status}", task=task.pk)
    due = task.created_at + dt.timedelta(days=after_days)
    if inp.now < due:
        return Outcome(defer_until=due)
    manager = manager_for(task.owner, inp.account)
    today = workspace_today(inp.account.workspace)
    escalation = _create_task(
        inp,
        title=f"Escalation: {task.title}"[:200],
        kind="escalation",
        due_on=today + dt.timedelta(days=1),
        owner=manager,
        priority="high",
        description=f"Still open after {after_days} days (task {task.pk}, owner {task.owner or 'nobody'}).",
        escalated_from=task,
    )
    _digest(inp, manager, f"{inp.account.name}: escalated to you, {task.title!r} still open after {after_days} days")
    return Outcome(
        result={"task": escalation.pk, "escalated": task.pk, "owner": manager.pk if manager else None},
        summary=f"escalated to {manager or 'nobody'}: {task.title}",
    )


def advocacy_step(inp: StepInput) -> Outcome:
    milestone = inp.options["after_milestone"]
    done = MilestoneProgress.objects.filter(account=inp.account, key=milestone, completed_on__isnull=False).exists()
    if not done:
        return skipped(f"the milestone {milestone} is not done: no advocacy ask before value")
    ask = AdvocacyAsk(inp.options["ask"])
    owner = resolve_assignee(inp.options["assignee"], inp.account)
    today = workspace_today(inp.account.workspace)
    kinds = task_kinds()
    task = _create_task(
        inp,
        title=f"Ask {inp.account.name} for a {ask.label.lower()}"[:200],
        kind="advocacy" if "advocacy" in kinds else "call",
        due_on=today + dt.timedelta(days=inp.options["due_in_days"]),
        owner=owner,
        description=f"{milestone} is done: a good moment to ask for a {ask.label.lower()}.",
    )
    return Outcome(result={"task": task.pk, "ask": ask.value}, summary=f"task for {owner or 'nobody'}: {task.title}")


REGISTRY: dict[str, Callable[[StepInput], Outcome]] = {
    StepKind.TASK: task_step,
    StepKind.EMAIL: email_step,
    StepKind.SLACK: slack_step,
    StepKind.WEBHOOK: webhook_step,
    StepKind.SET: set_step,
    StepKind.WAIT: wait_step,
    StepKind.ENROL: enrol_step,
    StepKind.ESCALATE: escalate_step,
    StepKind.ADVOCACY: advocacy_step,
}


def step_register(
    kind: str,
    run: Callable[[StepInput], Outcome],
    *,
    keys: tuple[str, ...],
    clean: Callable[[definition.StepCleaner, dict[str, Any], str], dict[str, Any]],
    describe: Callable[[Mapping[str, Any]], str],
) -> None:
    """Add a step kind from an app above playbooks (in its AppConfig.ready): `clean` validates its
    options at save like the built-in kinds', `run` does it, `describe` says it in one line."""
    if kind in REGISTRY and REGISTRY[kind] is not run:
        raise ValueError(f"the step kind {kind} is registered already")
    REGISTRY[kind] = run
    definition.STEP_SPECS[kind] = definition.StepSpec(keys, clean, describe)


def run(kind: str, inp: StepInput) -> Outcome:
    return REGISTRY[kind](inp)
