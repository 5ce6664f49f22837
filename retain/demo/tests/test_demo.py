"""The demo workspace: deterministic from a seed, a plausible book, churn from a hidden process."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import socket
import statistics
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from retain.accounts.choices import ContactRole, ContactStatus, EntryKind, MovementKind, Stage, SubscriptionStatus, Tier
from retain.accounts.models import Account, Contact, Subscription, TimelineEntry, Touchpoint
from retain.accounts.selectors import rate_table
from retain.demo.generator import build_demo, demo_delete, demo_workspace
from retain.demo.generator.context import DemoContext
from retain.demo.generator.names import MILESTONES
from retain.demo.generator.usage import raw_start
from retain.demo.generator.world import CSM_KIND_FOR_TIER, World, add_years, plan_world
from retain.demo.management.commands import demo as demo_command
from retain.usage.models import (
    DailyAccountUsage,
    DailyFeatureUsage,
    DailyUserUsage,
    RollupState,
    UsageEvent,
    UsageUser,
)

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_demo")

TODAY = dt.date(2026, 11, 20)
MILESTONE_EVENTS = {name for name, _ in MILESTONES}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    """One small demo workspace for the module (building it is the slow part)."""
    with django_db_blocker.unblock():
        ctx = build_demo(seed=7, size=60, today=TODAY)  # the default 30 raw days
        yield ctx
        demo_delete()


@pytest.fixture(scope="module")
def big_world() -> World:
    """A larger planned world (no database) for the statistics of the mix and of churn."""
    return plan_world(seed=11, size=3000, today=TODAY)


# The plan ---------------------------------------------------------------------------------------


def test_the_tier_mix_is_near_70_25_5(big_world: World) -> None:
    tiers = Counter(a.tier for a in big_world.accounts)
    total = len(big_world.accounts)
    assert abs(tiers[Tier.COMMUNITY] / total - 0.70) < 0.03
    assert abs(tiers[Tier.ENTERPRISE] / total - 0.25) < 0.03
    assert abs(tiers[Tier.STRATEGIC] / total - 0.05) < 0.015
    assert {a.edition for a in big_world.accounts} == {"professional", "enterprise"}


# Annual logo churn per tier, in the ranges published for SaaS by segment (SMB 15–25%, mid-market
# 8–15%, enterprise 3–8%); the seed's CLV example (1% a month) is about 11% a year.
ANNUAL_CHURN = {Tier.COMMUNITY: (0.14, 0.26), Tier.ENTERPRISE: (0.07, 0.16), Tier.STRATEGIC: (0.02, 0.10)}


def _annual_churn(world: World, tier: str, end: dt.date) -> float:
    """The ledger's logo churn over the year to `end`: accounts of the tier paying the day before it
    began that churned in it."""
    eve = add_years(end, -1)
    active = [
        a for a in world.accounts
        if a.tier == tier and a.customer_since <= eve and (a.churned_on is None or a.churned_on > eve)
    ]  # fmt: skip
    return sum(1 for a in active if a.churned_on is not None and a.churned_on <= end) / len(active)


def test_annual_logo_churn_per_tier_is_plausible_in_every_year_of_the_ledger(big_world: World) -> None:
    """The year of history and the two before it (the older cohorts' renewals are planned too, so
    the cohort page and the revenue page see the same rates)."""
    for back in range(3):
        end = add_years(big_world.today, -back)
        rates = {tier: _annual_churn(big_world, tier, end) for tier in ANNUAL_CHURN}
        for tier, (low, high) in ANNUAL_CHURN.items():
            assert low <= rates[tier] <= high, (end, tier, rates)
        assert rates[Tier.COMMUNITY] > rates[Tier.ENTERPRISE] > rates[Tier.STRATEGIC], (end, rates)


def test_the_book_is_the_requested_size_and_former_customers_come_on_top(big_world: World) -> None:
    book = [a for a in big_world.accounts if not a.former]
    former = [a for a in big_world.accounts if a.former]
    assert len(book) == 3000
    assert former and all(a.churned_on is not None and a.churned_on < big_world.window_start for a in former)
    assert all(a.customer_since < big_world.window_start for a in former)


def test_churned_accounts_were_less_engaged_in_the_plan(big_world: World) -> None:
    def engagement(account: Any) -> float:
        end = account.churned_on or big_world.today
        return account.mean_latent(max(account.customer_since, big_world.window_start), end)

    book = [a for a in big_world.accounts if not a.former]
    churned = [engagement(a) for a in book if a.churned_on]
    kept = [engagement(a) for a in book if not a.churned_on]
    assert statistics.mean(churned) < statistics.mean(kept) - 0.5


def test_the_same_seed_plans_the_same_world_and_another_seed_does_not() -> None:
    def fingerprint(world: World) -> tuple[Any, ...]:
        return tuple((a.name, a.tier, a.mrr, a.churned_on, len(a.people)) for a in world.accounts)

    first = plan_world(seed=3, size=200, today=TODAY)
    assert fingerprint(first) == fingerprint(plan_world(seed=3, size=200, today=TODAY))
    assert fingerprint(first) != fingerprint(plan_world(seed=4, size=200, today=TODAY))


# The written workspace --------------------------------------------------------------------------


def _summary() -> tuple[list[str], Decimal, int, int]:
    workspace = demo_workspace()
    assert workspace is not None
    names = sorted(Account.objects.filter(workspace=workspace).values_list("name", flat=True))
    mrr = Account.objects.filter(workspace=workspace).aggregate(total=Sum("mrr"))["total"]
    events = UsageEvent.objects.filter(workspace=workspace).count()
    rollups = DailyAccountUsage.objects.filter(workspace=workspace).aggregate(total=Sum("events"))["total"]
    return names, mrr, events, rollups


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_workspace() -> None:
    demo_delete()  # the module's workspace, if built already; the test's rollback brings it back
    build_demo(seed=5, size=12, raw_days=5, today=TODAY)
    first = _summary()
    demo_delete()
    build_demo(seed=5, size=12, raw_days=5, today=TODAY)
    assert _summary() == first
    demo_delete()
    build_demo(seed=6, size=12, raw_days=5, today=TODAY)
    assert _summary()[0] != first[0]


@pytest.mark.django_db
def test_every_account_has_an_owner_of_a_fitting_csm_kind(demo: DemoContext) -> None:
    accounts = Account.objects.filter(workspace=demo.ws).select_related("owner")
    assert accounts.count() == len(demo.world.accounts)
    assert sum(1 for plan in demo.world.accounts if not plan.former) == 60
    for account in accounts:
        assert account.owner is not None
        assert account.owner.csm_kind in CSM_KIND_FOR_TIER[Tier(account.tier)], account.name
    tiers = {account.tier for account in accounts}
    assert tiers == {Tier.COMMUNITY, Tier.ENTERPRISE, Tier.STRATEGIC}


@pytest.mark.django_db
def test_the_ledger_has_every_kind_of_movement_and_mrr_adds_up(demo: DemoContext) -> None:
    workspace = demo.ws
    table = rate_table(workspace)
    kinds: set[str] = set()
    for subscription in Subscription.objects.filter(workspace=workspace).prefetch_related("movements"):
        movements = sorted(subscription.movements.all(), key=lambda m: (m.effective_on, m.pk))
        assert movements[0].kind == MovementKind.NEW
        for before, after in itertools.pairwise(movements):
            assert after.mrr_before == before.mrr_after
            assert after.seats_before == before.seats_after
        assert subscription.mrr == movements[-1].mrr_after
        assert (subscription.status == SubscriptionStatus.CHURNED) == (movements[-1].kind == MovementKind.CHURN)
        kinds.update(m.kind for m in movements)
    assert {MovementKind.NEW, MovementKind.EXPANSION, MovementKind.CONTRACTION, MovementKind.CHURN} <= kinds
    for account in Account.objects.filter(workspace=workspace).prefetch_related("subscriptions"):
        active = [s for s in account.subscriptions.all() if s.status == SubscriptionStatus.ACTIVE]
        assert account.mrr == sum((table.convert(s.mrr, s.currency, demo.today) for s in active), Decimal(0))
        assert (account.stage == Stage.CHURNED) == (not active)
    assert Subscription.objects.filter(workspace=workspace).exclude(currency="USD").exists()


@pytest.mark.django_db
def test_churned_accounts_were_less_engaged_and_used_the_product_less(demo: DemoContext) -> None:
    plans = {plan.external_id: plan for plan in demo.world.accounts}
    churned = [p for p in plans.values() if p.churned_on is not None]
    kept = [p for p in plans.values() if p.churned_on is None]
    assert churned and kept

    def engagement(plan: Any) -> float:
        return plan.mean_latent(max(plan.customer_since, demo.world.window_start), plan.churned_on or demo.today)

    def events_per_customer_day(plan: Any) -> float:
        start = max(plan.customer_since, demo.world.window_start)
        days = max(((plan.churned_on or demo.today) - start).days, 1)
        account = demo.accounts[plan.external_id]
        total = DailyAccountUsage.objects.filter(account=account).aggregate(total=Sum("events"))["total"] or 0
        return total / days

    assert statistics.mean(map(engagement, churned)) < statistics.mean(map(engagement, kept))
    assert statistics.mean(map(events_per_customer_day, churned)) < statistics.mean(map(events_per_customer_day, kept))


@pytest.mark.django_db
def test_no_stored_field_holds_the_hidden_engagement(demo: DemoContext) -> None:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            assert "latent" not in field.name and "engagement" not in field.name, (model, field.name)
    latent = {round(value, 6) for plan in demo.world.accounts for value in plan.latent}
    for account in Account.objects.filter(workspace=demo.ws):
        assert set(account.traits) == {"region"}
        stored = [v for v in account.__dict__.values() if isinstance(v, (float, Decimal))]
        assert not latent & {round(float(v), 6) for v in stored}


@pytest.mark.django_db
def test_contacts_have_champions_and_some_who_left_on_the_timeline(demo: DemoContext) -> None:
    contacts = Contact.objects.filter(workspace=demo.ws)
    assert contacts.filter(role=ContactRole.CHAMPION, status=ContactStatus.ACTIVE).exists()
    left = contacts.filter(status=ContactStatus.LEFT)
    assert left.filter(role=ContactRole.CHAMPION).exists()
    for contact in left:
        assert contact.left_on is not None and contact.left_on <= demo.today
        entry = TimelineEntry.objects.get(contact=contact, kind=EntryKind.CONTACT_LEFT)
        assert entry.occurred_at.date() == contact.left_on


@pytest.mark.django_db
def test_history_is_on_the_timeline_on_the_day_it_happened(demo: DemoContext) -> None:
    workspace = demo.ws
    touchpoints = Touchpoint.objects.filter(workspace=workspace)
    assert touchpoints.count() > 60
    assert touchpoints.filter(contacts__isnull=False).exists()
    entries = TimelineEntry.objects.filter(workspace=workspace)
    assert entries.filter(kind=EntryKind.TOUCHPOINT_LOGGED).count() == touchpoints.count()
    assert entries.filter(kind=EntryKind.RENEWAL_WINDOW_OPENED).exists()
    account = Account.objects.filter(workspace=workspace).order_by("customer_since").first()
    assert account is not None
    created = entries.get(account=account, kind=EntryKind.ACCOUNT_CREATED)
    assert created.occurred_at.date() == account.customer_since
    started = entries.filter(account=account, kind=EntryKind.SUBSCRIPTION_STARTED).order_by("occurred_at").first()
    assert started is not None and started.occurred_at.date() == account.customer_since


@pytest.mark.django_db
def test_usage_is_raw_for_recent_days_and_rolled_up_before(demo: DemoContext) -> None:
    workspace = demo.ws
    first_raw = raw_start(demo)
    events = UsageEvent.objects.filter(workspace=workspace)
    assert events.count() > 10_000
    earliest = events.order_by("timestamp").values_list("timestamp", flat=True).first()
    assert earliest is not None and earliest.date() >= first_raw
    assert not events.filter(account__isnull=True).exists()
    # Every event's user is a product user of the account its group names.
    users = dict(UsageUser.objects.filter(workspace=workspace).values_list("user_id", "account__external_id"))
    for user_id, group_id in events.values_list("user_id", "group_id").distinct():
        assert users[user_id] == group_id
    assert UsageUser.objects.filter(workspace=workspace, contact__isnull=False).exists()
    rollups = DailyAccountUsage.objects.filter(workspace=workspace)
    assert rollups.filter(day__lt=first_raw).count() > 1000
    # The recent rollups are the real fold of the raw events.
    recent = rollups.filter(day__gte=first_raw).aggregate(total=Sum("events"))["total"]
    assert recent == events.count()
    assert RollupState.objects.get(workspace=workspace).last_event_id == events.order_by("-id").first().pk  # type: ignore[union-attr]  # the rows exist: the test made them
    assert DailyUserUsage.objects.filter(workspace=workspace, day__gte=first_raw).exists()
    # Older days were folded without their raw events: per user and per feature too, not per account only.
    assert DailyUserUsage.objects.filter(workspace=workspace, day__lt=first_raw).count() > 1000
    assert DailyFeatureUsage.objects.filter(workspace=workspace, day__lt=first_raw).count() > 1000


@pytest.mark.django_db
def test_onboarding_accounts_reach_milestones_at_their_own_pace(demo: DemoContext) -> None:
    onboarding = Account.objects.filter(workspace=demo.ws, stage=Stage.ONBOARDING)
    assert onboarding.exists()
    reached = Counter[str]()
    for account in onboarding:
        # From the rollups: a milestone reached before the raw events began is a key event there too.
        days = (
            DailyAccountUsage.objects.filter(account=account)
            .exclude(key_events={})
            .values_list("key_events", flat=True)
        )
        reached[account.external_id] = len({name for day in days for name in day if name in MILESTONE_EVENTS})
    assert sum(reached.values()) > 0
    assert len(set(reached.values())) > 1  # not every account is at the same point


# The command ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_builds_prints_the_logins_and_keeps_an_existing_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []
    real = demo_command.call_command

    def call(name: str, *args: Any, **options: Any) -> None:
        if name == "serve":
            served.append(options["bind"])
        else:
            real(name, *args, **options)

    monkeypatch.setattr(demo_command, "call_command", call)
    demo_delete()  # the module's workspace, if built already; the test's rollback brings it back
    out = io.StringIO()
    real("demo", "--accounts", "8", "--raw-days", "2", "--no-serve", stdout=out)
    text = out.getvalue()
    assert "total" in text and "Demo logins (password retain-demo)" in text
    for label in (
        "Admin",
        "Manager",
        "CSM (strategic)",
        "CSM (enterprise)",
        "CSM (smb)",
        "CSM (operational)",
        "Viewer",
    ):
        assert f"  {label} " in text
    assert served == []
    first_id = demo_workspace().pk  # type: ignore[union-attr]  # the demo was built just before, so the workspace exists

    out = io.StringIO()
    real("demo", "--accounts", "8", "--bind", "127.0.0.1:0", stdout=out)
    assert "exists; keeping it" in out.getvalue()
    assert demo_workspace().pk == first_id  # type: ignore[union-attr]  # the demo was built just before, so the workspace exists
    assert served == ["127.0.0.1:0"]

    out = io.StringIO()
    real("demo", "--accounts", "8", "--raw-days", "2", "--no-serve", "--reset", stdout=out)
    assert "Deleted the existing demo workspace" in out.getvalue()
    assert demo_workspace().pk != first_id  # type: ignore[union-attr]  # the demo was built just before, so the workspace exists


def test_a_taken_port_is_refused_before_the_build_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=rf"127\.0\.0\.1:{port} is already in use .*make demo PORT={port + 1}"):
            call_command("demo", bind=f"127.0.0.1:{port}")
    with pytest.raises(CommandError, match="is not HOST:PORT"):
        call_command("demo", bind="8001")
