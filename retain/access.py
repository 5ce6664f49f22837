"""Every object fetched for a user goes through here.

Outsiders (not an active member of the workspace) get 404 for everything, so they cannot even learn
that a workspace or record exists; members who may read but not write get 403.

This module sits above the domain apps (it imports their models) and below `web` and `api`, which
fetch every object through it. Membership and role checks are `tenancy.access`'s, re-exported here
so a view needs one `access` module.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model
from django.http import Http404

from retain.accounts.models import Account, Contact, Segment, Subscription
from retain.journeys.models import Barrier, Journey, JourneyTemplate, MilestoneProgress
from retain.messaging.models import OutboundMessage, Suppression
from retain.plans.models import Commitment, Goal, Objective, SharedLink, SuccessMetric, SuccessPlan
from retain.playbooks.models import Playbook
from retain.renewals.models import ExpansionOpportunity, ReasonCode, Renewal
from retain.reports.models import BusinessReview
from retain.routing.models import InboundMessage
from retain.tasks.models import Task
from retain.team.models import BalancePlan
from retain.tenancy.access import get_for_member as get_for_member
from retain.tenancy.access import get_member as get_member
from retain.tenancy.access import memberships as memberships
from retain.tenancy.access import require_admin as require_admin
from retain.tenancy.access import require_manager as require_manager
from retain.tenancy.access import require_write as require_write
from retain.tenancy.access import scoped as scoped
from retain.tenancy.choices import Role
from retain.tenancy.models import Invitation, Member

M = TypeVar("M", bound=Model)


def can_edit_account(member: Member, account: Account) -> bool:
    """Managers and admins edit the whole workspace; a CSM edits its own book; viewers read."""
    if account.workspace_id != member.workspace_id:
        return False
    if member.can_manage:
        return True
    return member.role == Role.CSM and account.owner_id == member.pk


def get_account_for_user(member: Member, pk: object) -> Account:
    return get_for_member(member, Account.objects.select_related("owner__user", "workspace"), pk)


def get_rw_account_for_user(member: Member, pk: object) -> Account:
    account = get_account_for_user(member, pk)
    if not can_edit_account(member, account):
        raise PermissionDenied("You can read this account but not change it")
    return account


def get_contact_for_user(member: Member, pk: object) -> Contact:
    return get_for_member(member, Contact.objects.select_related("account"), pk)


def get_rw_contact_for_user(member: Member, pk: object) -> Contact:
    contact = get_contact_for_user(member, pk)
    if not can_edit_account(member, contact.account):
        raise PermissionDenied("You can read this contact but not change it")
    return contact


def get_subscription_for_user(member: Member, pk: object) -> Subscription:
    return get_for_member(member, Subscription.objects.select_related("account"), pk)


def get_rw_subscription_for_user(member: Member, pk: object) -> Subscription:
    subscription = get_subscription_for_user(member, pk)
    if not can_edit_account(member, subscription.account):
        raise PermissionDenied("You can read this subscription but not change it")
    return subscription


def get_segment_for_user(member: Member, pk: object) -> Segment:
    return get_for_member(member, Segment.objects.all(), pk)


def get_rw_segment_for_user(member: Member, pk: object) -> Segment:
    """Segments are shared: their author or a manager may change them."""
    segment = get_segment_for_user(member, pk)
    if not (member.can_manage or (member.can_write and segment.created_by_id == member.pk)):
        raise PermissionDenied("Only the segment's author or a manager can change it")
    return segment


def get_member_for_user(member: Member, pk: object) -> Member:
    return get_for_member(member, Member.objects.select_related("user"), pk)


def get_rw_invitation_for_user(member: Member, pk: object) -> Invitation:
    """Who joins the workspace is the admins' to decide: others get 403, outsiders 404."""
    invitation = get_for_member(member, Invitation.objects.select_related("workspace"), pk)
    require_admin(member)
    return invitation


def get_renewal_for_user(member: Member, pk: object) -> Renewal:
    return get_for_member(
        member, Renewal.objects.select_related("account", "subscription", "owner__user", "workspace"), pk
    )


def get_rw_renewal_for_user(member: Member, pk: object) -> Renewal:
    """Whoever may edit the renewal's account may work its renewal."""
    renewal = get_renewal_for_user(member, pk)
    if not can_edit_account(member, renewal.account):
        raise PermissionDenied("You can read this renewal but not change it")
    return renewal


def get_expansion_for_user(member: Member, pk: object) -> ExpansionOpportunity:
    return get_for_member(member, ExpansionOpportunity.objects.select_related("account", "owner__user"), pk)


def get_rw_expansion_for_user(member: Member, pk: object) -> ExpansionOpportunity:
    """Whoever may edit the account may work its expansion opportunities."""
    opportunity = get_expansion_for_user(member, pk)
    if not can_edit_account(member, opportunity.account):
        raise PermissionDenied("You can read this opportunity but not change it")
    return opportunity


def get_rw_reason_code_for_user(member: Member, pk: object) -> ReasonCode:
    """The reason-code library is the managers' to edit."""
    reason = get_for_member(member, ReasonCode.objects.select_related("workspace"), pk)
    require_manager(member)
    return reason


# Journeys -------------------------------------------------------------------------------------------


def _require_account_rw(member: Member, account: Account, what: str) -> None:
    if not can_edit_account(member, account):
        raise PermissionDenied(f"You can read this {what} but not change it")


def get_journey_template_for_user(member: Member, pk: object) -> JourneyTemplate:
    return get_for_member(member, JourneyTemplate.objects.all(), pk)


def get_current_journey_template_for_user(member: Member, key: str) -> JourneyTemplate:
    """The current version of a journey template of the member's workspace by its key, else 404."""
    found = JourneyTemplate.objects.filter(workspace_id=member.workspace_id, key=key, is_current=True).first()
    if found is None:
        raise Http404("No such journey template")
    return found


def get_rw_current_journey_template_for_user(member: Member, key: str) -> JourneyTemplate:
    """Publishing a version changes the path of every account that starts on it: managers only."""
    template = get_current_journey_template_for_user(member, key)
    require_manager(member)
    return template


def get_journey_for_user(member: Member, pk: object) -> Journey:
    return get_for_member(member, Journey.objects.select_related("account", "template"), pk)


def get_milestone_progress_for_user(member: Member, pk: object) -> MilestoneProgress:
    return get_for_member(member, MilestoneProgress.objects.select_related("account", "journey__template"), pk)


def get_rw_milestone_progress_for_user(member: Member, pk: object) -> MilestoneProgress:
    """Whoever may edit the account works its milestones (ticks, barriers)."""
    progress = get_milestone_progress_for_user(member, pk)
    _require_account_rw(member, progress.account, "milestone")
    return progress


def get_barrier_for_user(member: Member, pk: object) -> Barrier:
    return get_for_member(member, Barrier.objects.select_related("account", "progress"), pk)


def get_rw_barrier_for_user(member: Member, pk: object) -> Barrier:
    barrier = get_barrier_for_user(member, pk)
    _require_account_rw(member, barrier.account, "barrier")
    return barrier


# Success plans -------------------------------------------------------------------------------------

# How each part of a plan reaches its plan (they carry no workspace of their own).
_PLAN_PATH: dict[type[Model], str] = {
    Goal: "plan",
    Objective: "goal__plan",
    SuccessMetric: "objective__goal__plan",
    Commitment: "plan",
}


def get_plan_for_user(member: Member, pk: object) -> SuccessPlan:
    return get_for_member(member, SuccessPlan.objects.select_related("account"), pk)


def get_rw_plan_for_user(member: Member, pk: object) -> SuccessPlan:
    """Whoever may edit the account edits its success plan."""
    plan = get_plan_for_user(member, pk)
    _require_account_rw(member, plan.account, "success plan")
    return plan


def get_plan_item_for_user(member: Member, model: type[M], pk: object) -> M:
    """A goal, objective, metric or commitment of a plan in the member's workspace, else 404."""
    path = _PLAN_PATH[model]
    scope: dict[str, Any] = {f"{path}__workspace_id": member.workspace_id, "pk": pk}
    try:
        return model._default_manager.select_related(f"{path}__account").get(**scope)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {model._meta.verbose_name}") from None


def plan_of(item: Model) -> SuccessPlan:
    """The plan a goal, objective, metric or commitment belongs to."""
    plan: Any = item
    for step in _PLAN_PATH[type(item)].split("__"):
        plan = getattr(plan, step)
    return plan  # type: ignore[no-any-return]  # the path from any plan item ends at its SuccessPlan


def get_rw_plan_item_for_user(member: Member, model: type[M], pk: object) -> M:
    item = get_plan_item_for_user(member, model, pk)
    _require_account_rw(member, plan_of(item).account, str(model._meta.verbose_name))
    return item


def get_shared_link_for_user(member: Member, pk: object) -> SharedLink:
    return get_for_member(member, SharedLink.objects.select_related("account"), pk)


def get_rw_shared_link_for_user(member: Member, pk: object) -> SharedLink:
    """Whoever may edit the account creates and revokes the links that show its plan."""
    link = get_shared_link_for_user(member, pk)
    _require_account_rw(member, link.account, "shared link")
    return link


# Playbooks -----------------------------------------------------------------------------------------


def get_playbook_for_user(member: Member, key: str) -> Playbook:
    """The current version of a playbook of the member's workspace by its key, else 404."""
    found = Playbook.objects.filter(workspace_id=member.workspace_id, key=key, is_current=True).first()
    if found is None:
        raise Http404("No such playbook")
    return found


def get_rw_playbook_for_user(member: Member, key: str) -> Playbook:
    """Managers and admins change playbooks (they act on every account); others get 403."""
    playbook = get_playbook_for_user(member, key)
    require_manager(member)
    return playbook


# Tasks ---------------------------------------------------------------------------------------------


def can_edit_task(member: Member, task: Task) -> bool:
    """Whoever may edit the account works its tasks; a task's owner always works their own task."""
    if task.workspace_id != member.workspace_id or not member.can_write:
        return False
    return task.owner_id == member.pk or can_edit_account(member, task.account)


def get_task_for_user(member: Member, pk: object) -> Task:
    return get_for_member(
        member, Task.objects.select_related("account", "owner__user", "completed_by__user", "escalated_from"), pk
    )


def get_rw_task_for_user(member: Member, pk: object) -> Task:
    task = get_task_for_user(member, pk)
    if not can_edit_task(member, task):
        raise PermissionDenied("You can read this task but not change it")
    return task


def get_message_for_user(member: Member, pk: object) -> OutboundMessage:
    return get_for_member(member, OutboundMessage.objects.select_related("account", "contact"), pk)


def get_rw_message_for_user(member: Member, pk: object) -> OutboundMessage:
    """Retrying a message is workspace operations work: anyone who may write."""
    message = get_message_for_user(member, pk)
    require_write(member)
    return message


def get_inbound_for_user(member: Member, pk: object) -> InboundMessage:
    return get_for_member(member, InboundMessage.objects.select_related("account", "contact"), pk)


def get_rw_inbound_for_user(member: Member, pk: object) -> InboundMessage:
    """Moving a question to another desk or marking it answered: anyone who may write (seed 003)."""
    message = get_inbound_for_user(member, pk)
    require_write(member)
    return message


def get_suppression_for_user(member: Member, pk: object) -> Suppression:
    return get_for_member(member, Suppression.objects.all(), pk)


def get_rw_suppression_for_user(member: Member, pk: object) -> Suppression:
    """Taking an address off the list may e-mail someone who asked us to stop: managers only."""
    suppression = get_suppression_for_user(member, pk)
    require_manager(member)
    return suppression


# Business reviews -----------------------------------------------------------------------------------


def get_review_for_user(member: Member, pk: object) -> BusinessReview:
    return get_for_member(member, BusinessReview.objects.select_related("account__owner__user", "workspace"), pk)


def get_rw_review_for_user(member: Member, pk: object) -> BusinessReview:
    """Whoever may edit the review's account may prepare, hold and follow up its review."""
    review = get_review_for_user(member, pk)
    _require_account_rw(member, review.account, "business review")
    return review


def get_rw_balance_plan_for_user(member: Member, pk: object) -> BalancePlan:
    """Balancing moves accounts between books: managers and admins only (others 403, outsiders 404)."""
    plan = get_for_member(member, BalancePlan.objects.all(), pk)
    require_manager(member)
    return plan
