"""The team's coverage and relationships in the demo: the seeds' coverage model saved (so new
accounts are assigned by it), the adoption-call cadence playbook, a hand-off from sales for each
account that became a customer in the last three weeks, two groups with subsidiaries, stakeholder maps
on enterprise and strategic accounts, and a draft balancing plan for the manager to preview.

Everything goes through the team's services; the inputs (goals, promises, who influences what,
which accounts form a group) are drawn from `ctx.rng("coverage", ...)`. Cadence history is the
touchpoints the accounts step logged.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from retain.accounts.choices import ContactStatus, Tier
from retain.accounts.models import Account, Contact
from retain.demo.generator.context import DemoContext
from retain.playbooks.services import playbook_save
from retain.tasks.models import Task
from retain.team import services
from retain.team.choices import HandoffSource, Influence, Sentiment
from retain.team.coverage import DEFAULT_PATH, DEFAULT_SOURCE
from retain.tenancy.choices import Role

RECENT_DAYS = 21  # deals closed in the last three weeks have a hand-off (at least NEWEST of them)
NEWEST = 3
GROUPS = 2
SUBSIDIARIES = (2, 4)
GOALS = (
    "Double inbound leads within a year",
    "Move every blog to the new platform before the old contract ends",
    "Attribute pipeline to campaigns for the board",
    "Cut the cost per lead by a quarter",
    "Run nurture programmes for every product line",
    "Replace the three tools marketing uses today with one",
)
PROMISES = (
    "Salesforce sync with custom objects",
    "Migration of the blog archive by our services team",
    "Two training sessions for the content team",
    "Single sign-on with their identity provider",
    "A dedicated onboarding specialist for the first month",
)
RISKS = (
    "Their IT team is stretched until the next quarter",
    "The champion is new in the role",
    "A competitor was in the final round",
    "Budget is approved for one year only",
    "The migration depends on an agency we do not know",
)
SOLD = ("Marketing Hub Professional", "Marketing Hub Enterprise", "Marketing Hub Enterprise with Sales add-on")


def build_coverage(ctx: DemoContext) -> str:
    workspace = ctx.ws
    managers = ctx.members.get(Role.MANAGER) or []
    manager = managers[0] if managers else None
    services.coverage_save(workspace=workspace, actor=manager, source=DEFAULT_SOURCE)
    playbook_save(
        workspace=workspace,
        definition_yaml=DEFAULT_PATH.with_name("cadence-call-overdue.yaml").read_text(encoding="utf-8"),
        actor=manager,
    )
    handoffs = _handoffs(ctx)
    groups = _groups(ctx)
    mapped = _stakeholders(ctx)
    plan = services.plan_propose(workspace=workspace, actor=manager)
    return (
        f"coverage model, {handoffs} hand-offs, {groups} subsidiaries in {GROUPS} groups, "
        f"{mapped} stakeholders placed, a balancing plan of {plan.moves.count()} moves"
    )


def _handoffs(ctx: DemoContext) -> int:
    since = ctx.today - dt.timedelta(days=RECENT_DAYS)
    customers = Account.objects.filter(workspace=ctx.ws, customer_since__isnull=False).exclude(stage="churned")
    newest = list(customers.order_by("-customer_since", "pk").values_list("pk", flat=True)[:NEWEST])
    recent = customers.filter(Q(customer_since__gte=since) | Q(pk__in=newest)).select_related("owner__user")
    count = 0
    for account in recent.order_by("pk"):
        rng = ctx.rng("coverage", "handoff", account.external_id)
        contacts = list(account.contacts.filter(status=ContactStatus.ACTIVE)[:3])
        promised = rng.sample(PROMISES, rng.randint(0, 2))
        services.handoff_record(
            account=account,
            actor=None,
            source=HandoffSource.DEMO,
            sold=f"{rng.choice(SOLD)}, {rng.choice((10, 25, 50, 100))} seats, {rng.choice((1, 2, 3))}-year term",
            closed_on=account.customer_since,
            goals=rng.sample(GOALS, rng.randint(1, 3)),
            stakeholders=[{"name": c.full_name or c.email, "email": c.email, "role": c.title} for c in contacts],
            promises=[
                {"what": what, "by": (account.customer_since + dt.timedelta(days=rng.choice((30, 60, 90)))).isoformat()}
                for what in promised
            ]
            if account.customer_since
            else [],
            risks=rng.sample(RISKS, rng.randint(0, 2)),
        )
        count += 1
    # Each kickoff task was made when its deal closed (the demo's rows are dated like the playbooks').
    kickoffs = list(Task.objects.filter(workspace=ctx.ws, source_ref__startswith="handoff:").select_related("account"))
    for task in kickoffs:
        task.created_at = ctx.at(task.account.customer_since or ctx.today, 10)
    Task.objects.bulk_update(kickoffs, ["created_at"])
    return count


def _groups(ctx: DemoContext) -> int:
    rng = ctx.rng("coverage", "groups")
    big = list(
        Account.objects.filter(workspace=ctx.ws, tier__in=(Tier.ENTERPRISE, Tier.STRATEGIC))
        .exclude(stage="churned")
        .order_by("-mrr", "pk")[: GROUPS * 3]
    )
    others = list(
        Account.objects.filter(workspace=ctx.ws)
        .exclude(stage="churned")
        .exclude(pk__in=[a.pk for a in big])
        .order_by("pk")
    )
    linked = 0
    for parent in rng.sample(big, min(GROUPS, len(big))):
        for child in rng.sample(others, min(rng.randint(*SUBSIDIARIES), len(others))):
            others.remove(child)
            services.subsidiary_link(parent=parent, child=child, actor=None)
            linked += 1
    return linked


def _stakeholders(ctx: DemoContext) -> int:
    contacts = Contact.objects.filter(
        workspace=ctx.ws, status=ContactStatus.ACTIVE, account__tier__in=(Tier.ENTERPRISE, Tier.STRATEGIC)
    ).select_related("account")
    by_account: dict[int, list[Contact]] = {}
    for contact in contacts.order_by("account_id", "pk"):
        by_account.setdefault(contact.account_id, []).append(contact)
    placed = 0
    for people in by_account.values():
        rng = ctx.rng("coverage", "stakeholders", people[0].account.external_id)
        # Most strategic accounts have chosen a sponsor (seed 001); some have not yet: a gap to see.
        sponsor = people[0] if rng.random() < (0.75 if people[0].account.tier == Tier.STRATEGIC else 0.4) else None
        for person in people:
            influence = rng.choices(
                (Influence.DECISION_MAKER, Influence.CHAMPION, Influence.USER, Influence.BLOCKER), (2, 3, 6, 1)
            )[0]
            sentiment = rng.choices((Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE), (5, 4, 1))[0]
            services.stakeholder_set(
                contact=person,
                actor=None,
                influence=Influence.DECISION_MAKER if person is sponsor else influence,
                sentiment=sentiment,
                is_executive_sponsor=person is sponsor,
            )
            placed += 1
    return placed
