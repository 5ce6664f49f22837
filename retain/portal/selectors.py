"""Reads of the customer portal. Everything a portal page shows comes from here, and only from the
contact's own account: each read takes the account (never an id from the request alone), and what
it returns is the customer's version — plan, commitments, milestones with their evidence, reviews'
customer packs and resources; never health, risk, expansion, barriers or the team's notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from retain.accounts.choices import ContactStatus
from retain.accounts.models import Account
from retain.journeys.choices import MilestoneKind
from retain.journeys.evaluation import reads_a_goal
from retain.journeys.models import Journey, MilestoneProgress
from retain.journeys.selectors import journey_effort
from retain.lib.tokens import hash_token
from retain.plans import onboarding
from retain.plans import selectors as plan_selectors
from retain.plans.choices import CommitmentStatus
from retain.plans.models import Commitment
from retain.portal.models import PortalAccess, PortalActivity, PortalSession, PortalSettings, Resource, SignInLink
from retain.reports import pack as review_pack
from retain.reports.choices import ReviewStatus
from retain.reports.models import BusinessReview
from retain.tenancy.models import Workspace

# Reviews the customer sees: held ones (their pack is what was presented).
PAST_REVIEW_STATUSES = (ReviewStatus.HELD, ReviewStatus.FOLLOWED_UP)


def portal_tiers(workspace: Workspace) -> list[str]:
    """The tiers whose contacts may use the portal; none until CS turns it on."""
    row = PortalSettings.objects.filter(workspace=workspace).first()
    return list(row.tiers) if row is not None else []


def _usable() -> Q:
    return Q(revoked_at__isnull=True, contact__status=ContactStatus.ACTIVE)


def accesses_for_email(email: str) -> QuerySet[PortalAccess]:
    """Invited contacts with this address (at most one per workspace) whose tier has the portal on."""
    found = PortalAccess.objects.filter(_usable(), contact__email__iexact=email).select_related(
        "contact__account__workspace", "workspace__portal_settings"
    )
    wanted = [
        row.pk
        for row in found
        if hasattr(row.workspace, "portal_settings") and row.account.tier in row.workspace.portal_settings.tiers
    ]
    return found.filter(pk__in=wanted).order_by("pk")


def usable_access(contact_id: int) -> PortalAccess | None:
    """The contact's access when they may use the portal now (invited, active, tier on)."""
    access = (
        PortalAccess.objects.filter(_usable(), contact_id=contact_id)
        .select_related("contact__account__workspace")
        .first()
    )
    if access is None or access.contact.account.tier not in portal_tiers(access.contact.account.workspace):
        return None
    return access


def sign_in_link_valid(raw: str) -> bool:
    """Whether a link would sign somebody in now (the page that asks them to press the button)."""
    if not raw or len(raw) > 200:
        return False
    return SignInLink.objects.filter(
        token_hash=hash_token(raw), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def session_resolve(raw_key: str) -> PortalSession | None:
    """The live session a cookie names, or None (unknown, ended, expired, access revoked, the contact
    left, or the portal turned off for the account's tier). Two queries."""
    if not raw_key or len(raw_key) > 200:
        return None
    session = (
        PortalSession.objects.filter(
            key_hash=hash_token(raw_key),
            ended_at__isnull=True,
            expires_at__gt=timezone.now(),
            access__revoked_at__isnull=True,
            contact__status=ContactStatus.ACTIVE,
        )
        .select_related("contact__account__workspace", "access")
        .first()
    )
    if session is None:
        return None
    if session.contact.account.tier not in portal_tiers(session.contact.account.workspace):
        return None
    return session


def customer_milestone_keys(account: Account) -> set[str]:
    """The checklist milestones on the customer's side: those a customer step of the tier's
    30/60/90-day plan delivers (plans.onboarding), such as "Oriented" (goals agreed)."""
    steps = onboarding.TEMPLATES.get(account.tier, onboarding.TEMPLATES["community"])
    return {step.milestone for step in steps if step.side == onboarding.CUSTOMER and step.milestone}


# Pages ----------------------------------------------------------------------------------------------


def plan_page(account: Account) -> plan_selectors.PlanView | None:
    """The success plan with its progress roll-up (vision, goals, key metrics): five queries."""
    plan = plan_selectors.plan_for_account(account)
    return plan_selectors.plan_view(plan) if plan is not None else None


@dataclass
class ChecklistItem:
    text: str
    ticked_on: str


@dataclass
class MilestoneRow:
    progress: MilestoneProgress
    kind: str
    customer_side: bool
    items: list[ChecklistItem]
    evidence: str
    readings: list[str]
    # Beside a milestone measured against the plan's goals (Achievement): the work it took together.
    effort: str = ""


@dataclass
class PathPage:
    journey: Journey | None
    milestones: list[MilestoneRow] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for row in self.milestones if row.progress.is_done)


def path_page(account: Account) -> PathPage:
    """The critical path: each milestone with its status, due day, checklist ticks and the evidence
    that completed it (measured ones with their readings, and the level of effort beside Achievement).
    Two queries, and two more for the effort when the path measures goals. A template's descriptions
    are the team's notes on how a milestone completes, and are not shown."""
    journey = Journey.objects.filter(account=account).select_related("template").first()
    if journey is None:
        return PathPage(None)
    journey.account = account
    customer = customer_milestone_keys(account)
    rows = []
    for progress in MilestoneProgress.objects.filter(journey=journey).order_by("order"):
        try:
            milestone: dict[str, Any] = journey.template.milestone(progress.key)
        except StopIteration:
            milestone = {"kind": "", "items": []}
        kind = milestone.get("kind", "")
        items = [
            ChecklistItem(text, (progress.ticks.get(text) or {}).get("on", ""))
            for text in (milestone.get("items") or [] if kind == MilestoneKind.CHECKLIST else [])
        ]
        # Once reached, the evidence holds the readings of that day.
        readings = ((progress.measured or {}).get("readings") or {}) if progress.completed_on is None else {}
        reads_goals = kind == MilestoneKind.DATA and reads_a_goal(milestone.get("criteria") or {})
        rows.append(
            MilestoneRow(
                progress=progress,
                kind=kind,
                customer_side=kind == MilestoneKind.CHECKLIST
                and progress.key in customer
                and journey.closed_on is None,
                items=items,
                evidence=str((progress.evidence or {}).get("summary", "")),
                readings=[str(r.get("words", "")) for r in readings.values() if isinstance(r, dict) and r.get("words")],
                effort=journey_effort(journey, until=progress.completed_on).words if reads_goals else "",
            )
        )
    return PathPage(journey, rows)


@dataclass
class CommitmentsPage:
    theirs: list[Commitment]
    ours: list[Commitment]
    done_share: float | None
    path: PathPage


def commitments_page(account: Account) -> CommitmentsPage:
    """The onboarding plan and joint accountabilities: the customer's side (which they tick) and
    ours, and the checklist milestones they tick. Four queries."""
    plan = plan_selectors.plan_for_account(account)
    commitments = (
        list(Commitment.objects.filter(plan=plan).select_related("owner_contact", "owner_member__user"))
        if plan is not None
        else []
    )
    theirs = [c for c in commitments if c.owner_contact_id is not None]
    ours = [c for c in commitments if c.owner_member_id is not None]
    done = sum(1 for c in commitments if c.status == CommitmentStatus.DONE)
    return CommitmentsPage(theirs, ours, done / len(commitments) if commitments else None, path_page(account))


def customer_commitment(account: Account, pk: int) -> Commitment | None:
    """One of the account's commitments by id (None for another account's: the view answers 404)."""
    return Commitment.objects.filter(pk=pk, plan__account=account).select_related("plan").first()


def customer_milestone(account: Account, pk: int) -> MilestoneProgress | None:
    return MilestoneProgress.objects.filter(pk=pk, account=account).first()


def past_reviews(account: Account) -> list[BusinessReview]:
    """The account's held business reviews with a pack, newest first."""
    return list(
        BusinessReview.objects.filter(account=account, status__in=PAST_REVIEW_STATUSES)
        .exclude(pack={})
        .order_by("-starts_on")
        .only("pk", "period", "starts_on", "ends_on", "meeting_on", "status", "account_id")
    )


def past_review(account: Account, pk: int) -> BusinessReview | None:
    return (
        BusinessReview.objects.filter(pk=pk, account=account, status__in=PAST_REVIEW_STATUSES).exclude(pack={}).first()
    )


def customer_version(review: BusinessReview) -> dict[str, Any]:
    """The review's pack as the customer may see it: reports.pack.customer_pack, the QBR guard."""
    return review_pack.customer_pack(review.pack)


def resources_for(account: Account) -> list[Resource]:
    """The resources CS chose for the account's lifecycle stage and edition (an empty list on a
    resource means every stage or edition). One query; the choice is made in Python, since JSON
    containment is not portable across SQLite and PostgreSQL."""
    return [
        r
        for r in Resource.objects.filter(workspace_id=account.workspace_id)
        if (not r.stages or account.stage in r.stages) and (not r.editions or account.edition in r.editions)
    ]


# CS's side -------------------------------------------------------------------------------------------


def resources(workspace: Workspace) -> QuerySet[Resource]:
    return Resource.objects.filter(workspace=workspace).select_related("updated_by__user")


def accesses(workspace: Workspace) -> QuerySet[PortalAccess]:
    return PortalAccess.objects.filter(workspace=workspace).select_related("contact", "account", "invited_by__user")


def recent_activity(workspace: Workspace, limit: int = 20) -> QuerySet[PortalActivity]:
    return PortalActivity.objects.filter(workspace=workspace).select_related("account", "contact")[:limit]


def last_visit(account: Account, before: dt.datetime | None = None) -> PortalActivity | None:
    rows = PortalActivity.objects.filter(account=account)
    if before is not None:
        rows = rows.filter(at__lt=before)
    return rows.first()
