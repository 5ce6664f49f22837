"""Writing the planned book: accounts, contacts, subscriptions with their ledger, touchpoints.

Rows are built in memory and bulk-inserted in one transaction per step (the services write one
row at a time, too slow for a thousand accounts inside `make demo`'s budget). The history stays
real: every row gets its timeline entry from the factories in accounts/timeline.py, dated on the
day it happened, and the ledger follows the services' rule (movements in date order, the
subscription at its last movement, the account's MRR the sum of its active subscriptions).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from retain.accounts import timeline
from retain.accounts.choices import ContactStatus, MovementKind, SubscriptionStatus
from retain.accounts.models import (
    Account,
    Contact,
    Subscription,
    SubscriptionMovement,
    TimelineEntry,
    Touchpoint,
)
from retain.accounts.selectors import rate_table
from retain.accounts.services import renewal_windows_open
from retain.demo.generator.context import DemoContext
from retain.demo.generator.world import PersonPlan
from retain.lib.money import quantize
from retain.tenancy.models import Member

VIA = "demo"
BATCH = 1000
REGIONS = {"USD": "North America", "EUR": "Europe", "GBP": "UK & Ireland"}


def _at(ctx: DemoContext, day: dt.date, hour: int = 9) -> dt.datetime:
    return ctx.at(day, hour)


def _owners(ctx: DemoContext) -> dict[str, Member]:
    """Each account's CSM: books dealt out in turn among the CSMs of the kind its tier needs."""
    owners: dict[str, Member] = {}
    dealt: dict[str, int] = {}
    for plan in ctx.world.accounts:
        csms = ctx.csms[plan.csm_kind]
        turn = dealt.get(plan.csm_kind, 0)
        owners[plan.external_id] = csms[turn % len(csms)]
        dealt[plan.csm_kind] = turn + 1
    return owners


def build_accounts(ctx: DemoContext) -> str:
    workspace = ctx.ws
    table = rate_table(workspace)
    owners = _owners(ctx)
    plans = ctx.world.accounts
    entries: list[TimelineEntry] = []
    with transaction.atomic():
        accounts = []
        for plan in plans:
            mrr = sum((table.convert(s.mrr, s.currency, ctx.today) for s in plan.subscriptions if s.active), Decimal(0))
            accounts.append(
                Account(
                    workspace=workspace,
                    external_id=plan.external_id,
                    name=plan.name,
                    domain=plan.domain,
                    tier=plan.tier,
                    edition=plan.edition,
                    stage=plan.stage,
                    stage_entered_on=plan.stage_entered_on,
                    owner=owners[plan.external_id],
                    industry=plan.industry,
                    employees=plan.employees,
                    annual_revenue=Decimal(plan.annual_revenue),
                    traits={"region": REGIONS[plan.currency]},
                    mrr=quantize(mrr),
                    customer_since=plan.customer_since,
                )
            )
        Account.objects.bulk_create(accounts, batch_size=BATCH)
        for plan, account in zip(plans, accounts, strict=True):
            ctx.accounts[plan.external_id] = account
            entry = timeline.account_created_entry(account, actor=None, via=VIA)
            entry.occurred_at = _at(ctx, plan.customer_since, 8)
            entries.append(entry)
        contacts = _contacts(ctx, entries)
        subscriptions, movements = _subscriptions(ctx, entries)
        TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    return f"{len(accounts)} accounts, {contacts} contacts, {subscriptions} subscriptions, {movements} movements"


def _contacts(ctx: DemoContext, entries: list[TimelineEntry]) -> int:
    rows: list[tuple[PersonPlan, Contact]] = []
    for plan in ctx.world.accounts:
        account = ctx.accounts[plan.external_id]
        for person in plan.people:
            if not person.is_contact or person.joined_on > ctx.today:
                continue  # not in the CRM: a product user only, or not joined yet
            left = person.left_on is not None and person.left_on <= ctx.today
            contact = Contact(
                workspace_id=account.workspace_id,
                account=account,
                external_id=person.key,
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                title=person.title,
                role=person.role,
                status=ContactStatus.LEFT if left else ContactStatus.ACTIVE,
                left_on=person.left_on if left else None,
            )
            ctx.contacts[person.key] = contact
            rows.append((person, contact))
    Contact.objects.bulk_create([contact for _, contact in rows], batch_size=BATCH)
    for person, contact in rows:
        added = timeline.contact_added_entry(contact, actor=None, via=VIA)
        added.occurred_at = _at(ctx, person.joined_on, 10)
        entries.append(added)
        if contact.left_on is not None:
            gone = timeline.contact_left_entry(contact, actor=None, via=VIA)
            gone.occurred_at = _at(ctx, contact.left_on, 11)
            entries.append(gone)
    return len(rows)


def _subscriptions(ctx: DemoContext, entries: list[TimelineEntry]) -> tuple[int, int]:
    pairs = []
    for plan in ctx.world.accounts:
        account = ctx.accounts[plan.external_id]
        for sub in plan.subscriptions:
            subscription = Subscription(
                workspace_id=account.workspace_id,
                account=account,
                external_id=sub.key,
                product=sub.current_product,
                currency=sub.currency,
                seats=sub.seats,
                mrr=sub.mrr,
                started_on=sub.started_on,
                term_end=sub.term_end,
                status=SubscriptionStatus.ACTIVE if sub.active else SubscriptionStatus.CHURNED,
                ended_on=sub.ended_on,
            )
            pairs.append((sub, subscription))
    Subscription.objects.bulk_create([s for _, s in pairs], batch_size=BATCH)
    movements: list[SubscriptionMovement] = []
    for sub, subscription in pairs:
        mrr, seats, product = Decimal(0), 0, ""
        for step in sub.movements:
            movement = SubscriptionMovement(
                workspace_id=subscription.workspace_id,
                subscription=subscription,
                account_id=subscription.account_id,
                effective_on=step.on,
                kind=step.kind,
                mrr_before=mrr,
                mrr_after=step.mrr,
                seats_before=seats,
                seats_after=step.seats,
                product_before=product,
                product_after=step.product,
                currency=subscription.currency,
            )
            mrr, seats, product = step.mrr, step.seats, step.product
            movements.append(movement)
            if step.kind == MovementKind.NEW:
                entry = timeline.subscription_started_entry(subscription, movement, actor=None, via=VIA)
            else:
                entry = timeline.subscription_changed_entry(subscription, movement, actor=None, via=VIA)
            entry.occurred_at = _at(ctx, step.on, 12)
            entries.append(entry)
    SubscriptionMovement.objects.bulk_create(movements, batch_size=BATCH)
    return len(pairs), len(movements)


def build_touchpoints(ctx: DemoContext) -> str:
    """Calls, meetings, e-mails and notes by each account's CSM (onboarding calls by an operational one)."""
    operational = ctx.csms.get("operational", [])
    rows: list[tuple[Touchpoint, list[str]]] = []
    for plan in ctx.world.accounts:
        account = ctx.accounts[plan.external_id]
        for planned in plan.touchpoints:
            member = account.owner
            if planned.by_operational and operational:
                member = operational[plan.index % len(operational)]
            touchpoint = Touchpoint(
                workspace_id=account.workspace_id,
                account=account,
                kind=planned.kind,
                occurred_at=planned.at,
                member=member,
                summary=planned.summary,
                next_step=planned.next_step,
            )
            rows.append((touchpoint, planned.people))
    with transaction.atomic():
        Touchpoint.objects.bulk_create([t for t, _ in rows], batch_size=BATCH)
        Through = Touchpoint.contacts.through
        links = [
            Through(touchpoint_id=touchpoint.pk, contact_id=ctx.contacts[key].pk)
            for touchpoint, people in rows
            for key in people
        ]
        Through.objects.bulk_create(links, batch_size=BATCH)
        entries = [timeline.touchpoint_logged_entry(t, actor=t.member, via=VIA) for t, _ in rows]
        TimelineEntry.objects.bulk_create(entries, batch_size=BATCH)
    return f"{len(rows)} touchpoints"


def build_renewal_windows(ctx: DemoContext) -> str:
    opened = renewal_windows_open(workspace=ctx.ws, today=ctx.today)
    return f"{opened} renewal windows open"
