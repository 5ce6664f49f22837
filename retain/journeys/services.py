"""Journey writes: templates and their versions, starting journeys, checklist ticks, lifecycle moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from retain.accounts import timeline
from retain.accounts.choices import Stage
from retain.accounts.models import Account, Contact, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.journeys import hooks
from retain.journeys.choices import BarrierKind, BarrierState, MilestoneKind, MilestoneStatus
from retain.journeys.defaults import DEFAULT_TEMPLATES
from retain.journeys.evaluation import EvaluationResult, evaluate, status_of
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.journeys.templates import clean_applies_to, clean_milestones
from retain.lib.columns import check_value
from retain.lib.dates import start_of_day
from retain.lib.queries import MAX_IDS_IN_QUERY
from retain.tenancy.choices import AuditAction
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import audit_record


@transaction.atomic
def template_publish(
    *,
    workspace: Workspace,
    key: str,
    name: str,
    milestones: Any,
    applies_to: Any = None,
    priority: int = 100,
    actor: Member | None = None,
) -> JourneyTemplate:
    """Publish a template, or the next version of one; journeys under way keep their version."""
    cleaned = clean_milestones(milestones)
    audience = clean_applies_to(applies_to)
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "must not be empty"})
    check_value(JourneyTemplate, "priority", priority)
    latest = JourneyTemplate.objects.filter(workspace=workspace, key=key).aggregate(high=Max("version"))["high"]
    JourneyTemplate.objects.filter(workspace=workspace, key=key, is_current=True).update(is_current=False)
    template = JourneyTemplate.objects.create(
        workspace=workspace,
        key=key,
        name=name.strip(),
        version=(latest or 0) + 1,
        applies_to=audience,
        priority=priority,
        milestones=cleaned,
    )
    audit_record(
        workspace=workspace,
        actor=actor,
        action=AuditAction.JOURNEY_TEMPLATE_PUBLISHED,
        target=template,
        detail={"key": key, "version": template.version, "milestones": len(cleaned)},
    )
    return template


def templates_install_defaults(*, workspace: Workspace) -> list[JourneyTemplate]:
    """Give a workspace the default templates the first time it needs any (a no-op afterwards)."""
    current = list(JourneyTemplate.objects.filter(workspace=workspace, is_current=True))
    if current or JourneyTemplate.objects.filter(workspace=workspace).exists():
        return current
    return [template_publish(workspace=workspace, **data) for data in DEFAULT_TEMPLATES]


def _applies(template: JourneyTemplate, account: Account) -> bool:
    audience = template.applies_to or {}
    return all(getattr(account, field) in values for field, values in audience.items())


def template_for(account: Account, templates: list[JourneyTemplate]) -> JourneyTemplate | None:
    """The first current template (by priority) whose audience includes the account."""
    ordered = sorted((t for t in templates if t.is_current), key=lambda t: (t.priority, t.key))
    return next((t for t in ordered if _applies(t, account)), None)


@transaction.atomic
def journey_start(
    *,
    account: Account,
    template: JourneyTemplate | None = None,
    started_on: dt.date | None = None,
    plan_onboarding: bool = True,
) -> Journey:
    """Put an account on a journey (replacing any it was on): one progress row per milestone.

    The journey-start handlers (journeys.hooks) run unless `plan_onboarding` is False: a new
    customer (started in the last 90 days) gets its 30/60/90-day plan in its success plan
    (plans.services.onboarding_plan_generate).
    """
    workspace = account.workspace
    if template is None:
        template = template_for(account, templates_install_defaults(workspace=workspace))
        if template is None:
            raise ValidationError({"template": f"no journey template applies to {account.name}"})
    elif template.workspace_id != account.workspace_id:
        raise ValidationError({"template": "belongs to another workspace"})
    started_on = started_on or account.customer_since or workspace_today(workspace)
    Journey.objects.filter(account=account).delete()
    journey = Journey.objects.create(workspace=workspace, account=account, template=template, started_on=started_on)
    MilestoneProgress.objects.bulk_create(
        MilestoneProgress(
            workspace=workspace,
            journey=journey,
            account=account,
            key=milestone["key"],
            name=milestone["name"],
            order=index,
            due_on=started_on + dt.timedelta(weeks=milestone["target_week"]),
        )
        for index, milestone in enumerate(template.milestones)
    )
    if plan_onboarding:
        hooks.journey_started(account, started_on, workspace_today(workspace))
    return journey


@transaction.atomic
def milestone_tick(
    *,
    progress: MilestoneProgress,
    item: str,
    actor: Member | None,
    ticked: bool = True,
    today: dt.date | None = None,
) -> MilestoneProgress:
    """Tick (or untick) one checklist item; the milestone is done when every item is ticked."""
    progress = MilestoneProgress.objects.select_for_update().select_related("journey__template").get(pk=progress.pk)
    if progress.journey.closed_on is not None:
        raise ValidationError(
            {"item": f"the journey closed on {progress.journey.closed_on}: {progress.journey.closed_reason}"}
        )
    milestone = progress.journey.template.milestone(progress.key)
    if milestone["kind"] != MilestoneKind.CHECKLIST:
        raise ValidationError({"item": f"{progress.name} completes from data, not from ticks"})
    if item not in milestone["items"]:
        raise ValidationError({"item": f"must be one of: {'; '.join(milestone['items'])}"})
    today = today or workspace_today(progress.journey.account.workspace)
    if ticked:
        progress.ticks[item] = {"on": today.isoformat(), "by": actor.pk if actor else None}
    else:
        progress.ticks.pop(item, None)
    progress.last_progress_on = today
    completed = False
    if all(text in progress.ticks for text in milestone["items"]):
        if progress.completed_on is None:
            progress.completed_on = today
            progress.evidence = {
                "summary": "; ".join(f"{t} ticked on {progress.ticks[t]['on']}" for t in milestone["items"])
            }
            completed = True
    else:
        progress.completed_on = None
        progress.evidence = {}
    progress.status = status_of(progress, today)
    progress.save()
    if completed:
        milestones_record_completed(
            progresses=[progress], template_keys={progress.journey_id: progress.journey.template.key}
        )
    return progress


def journeys_advance(
    *, workspace: Workspace, account_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> EvaluationResult:
    """Complete the milestones whose criteria hold and refresh every status, for many accounts at once,
    and write it: the progress rows, each completion on the account's timeline, the journeys'
    evaluation day, and the move to adoption of an account that reached its initial value."""
    today = today or workspace_today(workspace)
    found = evaluate(workspace=workspace, account_ids=account_ids, today=today)
    if not found.journeys:
        return found.result
    if found.changed:
        MilestoneProgress.objects.bulk_update(
            found.changed, ["status", "completed_on", "evidence", "last_progress_on", "measured"], batch_size=500
        )
    for status, ids in found.moved_status.items():
        for start in range(0, len(ids), MAX_IDS_IN_QUERY):
            MilestoneProgress.objects.filter(pk__in=ids[start : start + MAX_IDS_IN_QUERY]).update(status=status)
    if found.completed:
        template_keys = {journey.pk: journey.template.key for journey in found.journeys}
        milestones_record_completed(progresses=found.completed, template_keys=template_keys, today=today)
    if len(found.journeys) <= MAX_IDS_IN_QUERY:
        Journey.objects.filter(pk__in=[journey.pk for journey in found.journeys]).update(evaluated_on=today)
    else:
        Journey.objects.filter(workspace=workspace).update(evaluated_on=today)
    for account in found.reached_initial_value:
        account.workspace = workspace
        found.result.moved_to_adoption += lifecycle_auto_move(
            account=account, stage="adoption", reason="the initial value milestone was reached"
        )
    return found.result


def milestones_record_completed(
    *, progresses: list[MilestoneProgress], template_keys: dict[int, str], today: dt.date | None = None
) -> int:
    """Write MILESTONE_COMPLETED on the timeline for milestones that just completed, once each.

    A milestone completed before `today` is dated at noon of its completion day in the workspace's
    time zone; one completed today, now. A milestone already on the timeline (unticked and ticked
    again) is not written a second time. Returns how many rows were offered.
    """
    entries: list[TimelineEntry] = []
    for progress in progresses:
        if progress.completed_on is None:
            continue
        account = progress.account
        occurred_at = None
        if today is not None and progress.completed_on < today:
            occurred_at = start_of_day(progress.completed_on, account.workspace.time_zone) + dt.timedelta(hours=12)
        entries.append(
            timeline.milestone_completed_entry(
                progress, template_key=template_keys[progress.journey_id], occurred_at=occurred_at
            )
        )
    TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=500)
    return len(entries)


# Renewal outcome and the end of a journey ---------------------------------------------------------------


@transaction.atomic
def milestone_renewal_record(*, account: Account, renewed: bool, on: dt.date, summary: str) -> MilestoneProgress | None:
    """The account's renewal closed: its open renewal milestones take the outcome.

    Renewed: the milestone completes on `on` with the outcome as evidence (and the completion goes on
    the timeline once). Churned: the outcome is kept as the milestone's evidence and the journey closes
    (journey_close), so nothing on it counts as behind or stuck any more. Called by
    renewals.services.renewal_close, which sits above journeys. Returns the renewal milestone it
    touched, if the account's open journey has one still open.
    """
    journey = Journey.objects.filter(account=account, closed_on__isnull=True).select_related("template").first()
    if journey is None:
        return None
    keys = [m["key"] for m in journey.template.milestones if m["kind"] == MilestoneKind.RENEWAL]
    progress = (
        MilestoneProgress.objects.select_for_update()
        .filter(journey=journey, key__in=keys, completed_on__isnull=True)
        .order_by("order")
        .first()
    )
    if progress is not None:
        progress.account = account
        progress.evidence = {"summary": summary, "outcome": "renewed" if renewed else "churned"}
        progress.last_progress_on = on
        if renewed:
            progress.completed_on = on
            progress.status = status_of(progress, on)
        progress.save(update_fields=["evidence", "last_progress_on", "completed_on", "status", "updated_at"])
        if renewed:
            milestones_record_completed(progresses=[progress], template_keys={journey.pk: journey.template.key})
    if not renewed:
        journey_close(account=account, on=on, reason=summary)
    return progress


def journey_close(*, account: Account, on: dt.date, reason: str) -> bool:
    """End the account's journey (it churned): every milestone not reached closes. Returns False when
    the account is on no open journey."""
    closed = Journey.objects.filter(account=account, closed_on__isnull=True).update(
        closed_on=on, closed_reason=reason.strip()[:200]
    )
    if closed:
        MilestoneProgress.objects.filter(journey__account=account, completed_on__isnull=True).update(
            status=MilestoneStatus.CLOSED
        )
    return bool(closed)


# Lifecycle ----------------------------------------------------------------------------------------

# The automatic rules: the stage an event moves an account to, and the stages it never moves from.
_AUTO_FROM: dict[str, tuple[str, ...]] = {
    Stage.ADOPTION: (Stage.ONBOARDING,),
    Stage.RENEWAL: (Stage.ONBOARDING, Stage.ADOPTION, Stage.SUCCESS, Stage.EXPANSION),
    Stage.EXPANSION: (Stage.ONBOARDING, Stage.ADOPTION, Stage.SUCCESS, Stage.RENEWAL),
    Stage.CHURNED: (Stage.ONBOARDING, Stage.ADOPTION, Stage.SUCCESS, Stage.RENEWAL, Stage.EXPANSION),
}


@transaction.atomic
def lifecycle_move(
    *, account: Account, actor: Member | None, stage: str, reason: str, via: str = "web", auto: bool = False
) -> bool:
    """Move an account to a lifecycle stage, with a reason; the timeline records it as STAGE_CHANGED
    ("Stage: onboarding → adoption — initial value reached", data {from, to, reason, auto}).

    Returns False when the account already is in that stage (nothing is written).
    """
    if stage not in Stage.values:
        raise ValidationError({"stage": f"must be one of {', '.join(Stage.values)}"})
    if not reason or not reason.strip():
        raise ValidationError({"reason": "say why the account moves"})
    old = account.stage
    if old == stage:
        return False
    account.stage = stage
    account.stage_entered_on = workspace_today(account.workspace)
    account.save(update_fields=["stage", "stage_entered_on", "updated_at"])
    timeline.stage_changed_entry(
        account, old, stage, reason=reason.strip()[:200], actor=actor, via=via, auto=auto
    ).save()
    if stage == Stage.CHURNED:
        journey_close(account=account, on=account.stage_entered_on, reason=reason)
    hooks.stage_changed(account, old, stage)
    return True


def lifecycle_auto_move(*, account: Account, stage: str, reason: str) -> bool:
    """Apply one automatic rule: move when the account's stage allows it, else do nothing."""
    if account.stage not in _AUTO_FROM[stage]:
        return False
    return lifecycle_move(account=account, actor=None, stage=stage, reason=reason, via="system", auto=True)


def lifecycle_on_renewal_window(*, account_ids: list[int]) -> int:
    """Accounts whose renewal window opened move to renewal."""
    moved = 0
    for account in Account.objects.select_related("workspace").filter(pk__in=account_ids).order_by("id"):
        moved += lifecycle_auto_move(account=account, stage=Stage.RENEWAL, reason="the renewal window opened")
    return moved


def lifecycle_on_expansion_opened(*, account: Account) -> bool:
    return lifecycle_auto_move(account=account, stage=Stage.EXPANSION, reason="an expansion opportunity opened")


def lifecycle_on_churn(*, account: Account) -> bool:
    return lifecycle_auto_move(account=account, stage=Stage.CHURNED, reason="the renewal closed as churned")


def journeys_start_missing(*, workspace: Workspace) -> int:
    """Put every onboarding account that is on no journey yet on the template that applies to it.

    The journey starts when the customer did (customer_since), else when the stage was entered.
    """
    accounts = list(
        Account.objects.filter(workspace=workspace, stage=Stage.ONBOARDING, journey__isnull=True).order_by("id")
    )
    if not accounts:
        return 0
    templates = templates_install_defaults(workspace=workspace)
    started = 0
    for account in accounts:
        template = template_for(account, templates)
        if template is None:
            continue
        account.workspace = workspace
        journey_start(account=account, template=template, started_on=account.customer_since or account.stage_entered_on)
        started += 1
    return started


# Barriers -----------------------------------------------------------------------------------------


@transaction.atomic
def barrier_add(
    *,
    progress: MilestoneProgress,
    kind: str,
    title: str,
    owner: Member | None = None,
    owner_contact: Contact | None = None,
    note: str = "",
    today: dt.date | None = None,
    actor: Member | None = None,
    via: str = "web",
) -> Barrier:
    """Record what stands in a milestone's way, owned by one of our team or by a customer contact;
    the timeline records it as BARRIER_OPENED."""
    if kind not in BarrierKind.values:
        raise ValidationError({"kind": f"must be one of {', '.join(BarrierKind.values)}"})
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": "must be a non-empty text of at most 200 characters"})
    if (owner is None) == (owner_contact is None):
        raise ValidationError({"owner": "give one owner: a member of the team or a customer contact"})
    if owner is not None and owner.workspace_id != progress.workspace_id:
        raise ValidationError({"owner": "is not a member of this workspace"})
    if owner_contact is not None and owner_contact.account_id != progress.account_id:
        raise ValidationError({"owner_contact": "is not a contact of this account"})
    barrier = Barrier.objects.create(
        workspace_id=progress.workspace_id,
        account=progress.account,
        progress=progress,
        kind=kind,
        title=title,
        note=note,
        owner=owner,
        owner_contact=owner_contact,
        opened_on=today or workspace_today(progress.account.workspace),
    )
    timeline.barrier_opened_entry(barrier, actor=actor, via=via).save()
    return barrier


def barrier_resolve(*, barrier: Barrier, today: dt.date | None = None) -> Barrier:
    if barrier.state == BarrierState.RESOLVED:
        raise ValidationError({"state": "the barrier is resolved already"})
    barrier.state = BarrierState.RESOLVED
    barrier.resolved_on = today or workspace_today(barrier.account.workspace)
    barrier.save(update_fields=["state", "resolved_on"])
    return barrier
