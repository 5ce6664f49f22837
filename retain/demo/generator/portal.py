"""Demo step: the customer portal, on for enterprise and strategic accounts.

Professional-edition customers are the ones seed 002 says need a self-serve portal: their champions
and admins are invited (long ago: no e-mail is sent for the demo's history), and those on the more
engaged accounts sign in every week or three over the last 60 days through real sign-in links, ticking
their side's commitments that fell due and their onboarding checklist items as they go, each on the
day it happened. CS keeps a shelf of resources per lifecycle stage and edition, refreshed now and then.
Questions are left to the inbound step (routing's acts are stamped with the build's clock).
"""

from __future__ import annotations

import datetime as dt

from retain.accounts.choices import ContactRole, ContactStatus, Edition, Stage, Tier
from retain.accounts.models import Account, Contact
from retain.demo.generator.context import DemoContext
from retain.journeys.models import MilestoneProgress
from retain.journeys.services import journeys_advance
from retain.plans.choices import CommitmentStatus
from retain.plans.models import Commitment
from retain.portal import selectors, services
from retain.portal.choices import ResourceKind
from retain.portal.models import PortalActivity
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

TIERS = [Tier.ENTERPRISE, Tier.STRATEGIC]
HISTORY_DAYS = 60
RESOURCES: tuple[tuple[str, str, list[str], list[str], int], ...] = (
    # (title, kind, stages, editions, days since CS last refreshed it)
    ("Getting started: install the tracking code", ResourceKind.KB_ARTICLE, [Stage.ONBOARDING], [], 12),
    ("Connect your CRM in ten minutes", ResourceKind.KB_ARTICLE, [Stage.ONBOARDING], [], 30),
    ("Live onboarding webinar (every Tuesday)", ResourceKind.WEBINAR, [Stage.ONBOARDING], [], 5),
    ("Admin training: users, teams and permissions", ResourceKind.TRAINING, [Stage.ONBOARDING], [], 45),
    ("Lead nurture that converts", ResourceKind.WEBINAR, [Stage.ADOPTION], [Edition.PROFESSIONAL], 9),
    ("Your first attribution report", ResourceKind.KB_ARTICLE, [Stage.ADOPTION], [], 21),
    ("Email campaign certification", ResourceKind.TRAINING, [Stage.ADOPTION, Stage.SUCCESS], [], 60),
    ("Social monitoring playbook", ResourceKind.KB_ARTICLE, [Stage.SUCCESS], [Edition.PROFESSIONAL], 14),
    (
        "What the enterprise edition adds",
        ResourceKind.WEBINAR,
        [Stage.SUCCESS, Stage.EXPANSION],
        [Edition.PROFESSIONAL],
        3,
    ),
    ("Preparing your renewal review", ResourceKind.KB_ARTICLE, [Stage.RENEWAL], [], 7),
)


def _first(ctx: DemoContext, *roles: str) -> Member | None:
    for role in roles:
        if ctx.members.get(role):
            return ctx.members[role][0]
    return None


def _resources(ctx: DemoContext) -> int:
    editor = _first(ctx, Role.MANAGER, Role.ADMIN)
    for title, kind, stages, editions, age in RESOURCES:
        services.resource_save(
            workspace=ctx.ws, actor=editor, title=title, kind=kind, stages=list(stages), editions=list(editions),
            url="https://help.example.com/" + "-".join(title.lower().replace(":", "").split()[:6]),
            refreshed_on=ctx.today - dt.timedelta(days=age),
        )  # fmt: skip
    return len(RESOURCES)


def _visit(ctx: DemoContext, contact: Contact, day: dt.date, hour: int) -> bool:
    """One sign-in on `day` through a fresh link, then ticks of the customer's side: commitments due
    within three weeks (done on time or early) and a checklist item of a milestone due soon."""
    now = ctx.at(day, hour, (contact.pk * 7) % 60)
    if day >= ctx.today:  # a visit today ends by the build's now: its steps come a few minutes after the link
        now -= dt.timedelta(minutes=10)
    _, raw = services.sign_in_link_create(contact=contact, minutes=services.SIGN_IN_MINUTES, now=now)
    if services.sign_in_redeem(raw=raw, now=now + dt.timedelta(minutes=2)) is None:
        return False
    account = contact.account
    due = Commitment.objects.filter(
        plan__account=account,
        owner_contact__isnull=False,
        status=CommitmentStatus.OPEN,
        due_on__lte=day + dt.timedelta(days=21),  # done on time, or early
    ).select_related("plan")
    for commitment in due.order_by("due_on", "id")[:2]:
        services.commitment_tick(contact=contact, commitment=commitment, done=True, now=now + dt.timedelta(minutes=5))
    customer = selectors.customer_milestone_keys(account)
    for progress in MilestoneProgress.objects.filter(
        account=account, key__in=customer, completed_on__isnull=True, due_on__lte=day + dt.timedelta(days=7)
    ).select_related("journey__template"):
        if progress.journey.closed_on is not None:
            continue
        items = [
            i for i in progress.journey.template.milestone(progress.key).get("items", []) if i not in progress.ticks
        ]
        if items:
            services.checklist_tick(contact=contact, progress=progress, item=items[0], ticked=True, now=now)
    return True


def build_portal(ctx: DemoContext) -> str:
    services.settings_update(workspace=ctx.ws, actor=_first(ctx, Role.ADMIN), tiers=list(TIERS))
    resources = _resources(ctx)
    accounts = Account.objects.filter(workspace=ctx.ws, tier__in=TIERS, edition=Edition.PROFESSIONAL).exclude(
        stage=Stage.CHURNED
    )
    invited = visits = 0
    touched: set[int] = set()
    first_day = ctx.today - dt.timedelta(days=HISTORY_DAYS)
    for account in accounts.select_related("owner", "workspace").order_by("id"):
        rng = ctx.rng("portal", account.external_id)
        contacts = list(
            Contact.objects.filter(
                account=account, status=ContactStatus.ACTIVE, role__in=[ContactRole.CHAMPION, ContactRole.ADMIN]
            )
            .exclude(email="")
            .order_by("id")[:2]
        )
        since = account.customer_since or first_day
        for contact in contacts:
            invited_on = max(since, first_day - dt.timedelta(days=rng.randint(0, 90)))
            services.contact_invite(contact=contact, actor=account.owner, notify=False, now=ctx.at(invited_on, 10))
            invited += 1
            # How often they come back: every 5 to 25 days, and some never did.
            if rng.random() < 0.25:
                continue
            gap = rng.randint(5, 25)
            day = max(invited_on, first_day) + dt.timedelta(days=rng.randint(0, gap))
            while day <= ctx.today:
                visits += _visit(ctx, contact, day, rng.randint(8, 17))
                touched.add(account.pk)
                day += dt.timedelta(days=gap + rng.randint(-2, 3))
    # Ticks were made as of their own day: bring the touched journeys' statuses up to today.
    if touched:
        journeys_advance(workspace=ctx.ws, account_ids=sorted(touched), today=ctx.today)
    ticks = PortalActivity.objects.filter(workspace=ctx.ws, kind="tick").count()
    ctx.counts["portal_users"] = invited
    return f"{invited} contacts invited, {visits} sign-ins with {ticks} ticks, {resources} resources"
