"""On a built demo workspace, every reader of the subscription ledger gives the same answers: who
pays on a day, with what MRR, and who churned (accounts.ledger), and the cohort and revenue pages
show one logo churn for one period."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from retain.accounts import ledger
from retain.accounts.choices import Tier
from retain.accounts.models import Account
from retain.accounts.selectors import accounts_not_scored, accounts_paying_since, rate_table, workspace_mrr_on
from retain.demo.generator import STEPS, build_demo, demo_delete
from retain.demo.generator.context import DemoContext
from retain.health.backtest import backtest
from retain.health.services import scorecards_install_defaults
from retain.lib.dates import add_months
from retain.lib.money import quantize
from retain.metrics import cohorts, engine
from retain.risk import features
from retain.surveys.measures import Filters, Period
from retain.tenancy.choices import Role
from retain.tenancy.models import Member

# Its module-scoped fixture is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_demo_ledger")

TODAY = dt.date(2026, 11, 20)
NEEDED = {"team", "accounts and subscriptions"}
# Days across the year of history and the years before it (older cohorts' renewals are planned too).
DAYS = [add_months(TODAY, -months) for months in (0, 1, 3, 5, 8, 11, 14, 20, 30)]
NOT_PAYING = {"no active subscription", "no revenue yet"}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoContext]:
    """A small book: the ledger and the default scorecards are all these tests read."""
    with django_db_blocker.unblock():
        ctx = build_demo(seed=9, size=120, raw_days=7, today=TODAY, steps=[s for s in STEPS if s.name in NEEDED])
        scorecards_install_defaults(workspace=ctx.ws)
        yield ctx
        demo_delete()


@pytest.mark.django_db
def test_the_readers_agree_on_who_pays_and_with_what_mrr(demo: DemoContext) -> None:
    workspace = demo.ws
    books = ledger.load(workspace)
    table = rate_table(workspace)
    all_ids = list(Account.objects.filter(workspace=workspace).values_list("pk", flat=True))
    churned_somewhen = 0
    for day in DAYS:
        paying = set(books.paying_on(day))
        assert paying, day
        # accounts.selectors
        assert set(accounts_paying_since(workspace.pk, today=day, since=day).values_list("pk", flat=True)) == paying
        held = accounts_not_scored(workspace, all_ids, day)
        assert {pk for pk in all_ids if held.get(pk) not in NOT_PAYING} == paying, day
        # metrics.engine
        snapshot = engine.mrr_snapshot(workspace, [day], table=table)
        assert {pk for pk, mrr in snapshot.by_account(day).items() if mrr > 0} == paying, day
        total = sum(snapshot.by_subscription[day].values(), Decimal(0))
        assert workspace_mrr_on(workspace, day, table) == quantize(total), day
        in_memory = sum(books[pk].mrr_on(day, table) for pk in paying)
        assert abs(float(total) - in_memory) < 0.01, day
        # risk.features (the churn model's snapshots) and health.backtest
        ids, rows = features.snapshot_rows(workspace, books, day, table, horizon_days=90)
        assert set(ids) == paying, day
        horizon = day + dt.timedelta(days=90)
        for pk, row in zip(ids, rows, strict=True):
            churned = books[pk].churned_between(day, horizon) is not None
            assert row[-1] == (features.POSITIVE if churned else features.NEGATIVE)
            churned_somewhen += churned
    assert churned_somewhen > 0  # the comparison saw churn, not only renewals


@pytest.mark.django_db
def test_the_backtest_replays_the_paying_accounts_and_labels_churn_as_the_ledger_does(demo: DemoContext) -> None:
    workspace = demo.ws
    books = ledger.load(workspace)
    day = add_months(TODAY, -6)
    report = backtest(workspace=workspace, start=day, end=day, horizon_days=180, resamples=10)
    assert {row.account_id for row in report.rows} <= set(books.paying_on(day))
    assert report.rows
    horizon = day + dt.timedelta(days=180)
    labels = {row.account_id: row.churned for row in report.rows}
    assert labels == {pk: books[pk].churned_between(day, horizon) is not None for pk in labels}
    assert any(labels.values())


@pytest.mark.django_db
def test_cohorts_start_and_lose_accounts_on_the_ledger_s_days(demo: DemoContext) -> None:
    books = ledger.load(demo.ws)
    report = cohorts.retention_by_tier(demo.ws, today=TODAY)
    starts = {pk: b.started_on for pk, b in books.items() if b.started_on is not None}
    for tier in report.tiers:
        members = [pk for pk in starts if books[pk].tier == tier.tier]
        assert sum(cohort.active[0] for cohort in tier.cohorts) == len(members)
        for cohort in tier.cohorts:
            quarter = [pk for pk in members if cohort.starts <= starts[pk] < add_months(cohort.starts, 3)]
            for t, alive in enumerate(cohort.active[1:], start=1):
                months = t * report.period_months
                lost = [pk for pk in quarter if books[pk].churned_between(starts[pk], add_months(starts[pk], months))]
                assert alive == len(quarter) - len(lost), (tier.tier, cohort.label, t)


@pytest.mark.django_db
def test_the_cohort_page_and_the_revenue_page_show_one_logo_churn_for_one_period(demo: DemoContext) -> None:
    """Per tier, the cohort report's trailing year and the revenue figures for the same days and tier,
    then both pages as a manager sees them."""
    workspace = demo.ws
    report = cohorts.retention_by_tier(workspace, today=TODAY)
    period = Period(report.year_start, TODAY, workspace.time_zone)
    assert (TODAY - report.year_start).days == 364
    for tier in report.tiers:
        figure = engine.revenue_metrics(workspace, period, Filters(tier=tier.tier)).logo_churn
        assert figure.inputs == {"churned": tier.year_churned, "active_at_start": tier.year_active}, tier.tier
        assert figure.worked == f"Logo churn = {tier.year_churn_worked}"
    community = next(t for t in report.tiers if t.tier == Tier.COMMUNITY)
    assert community.year_churn is not None and 0.05 <= community.year_churn <= 0.4
    # The book's churn over the year is the ledger's, whichever page counts it.
    books = ledger.load(workspace)
    active, churned = books.logo_churn(period.start, period.end)
    assert engine.revenue_metrics(workspace, period).logo_churn.inputs == {
        "churned": len(churned),
        "active_at_start": len(active),
    }


@pytest.mark.django_db
def test_both_pages_print_the_same_figure(demo: DemoContext, client: Client) -> None:
    workspace = demo.ws
    manager = Member.objects.filter(workspace=workspace, role=Role.MANAGER).select_related("user").first()
    assert manager is not None
    client.force_login(manager.user)
    # The pages compute "today" from the clock; the demo was built for TODAY, so read both for the
    # page's own trailing year.
    cohort_page = client.get(reverse("retention", args=[workspace.slug]))
    assert cohort_page.status_code == 200
    report = cohort_page.context["report"]
    text = html.unescape(cohort_page.content.decode())
    for tier in report.tiers:
        shown = re.search(rf'id="year-churn-{tier.tier}".*?<strong>(.*?)</strong>', text, re.S)
        assert shown is not None and shown.group(1) == tier.year_churn_worked
        link = re.search(rf'id="year-churn-{tier.tier}".*?href="([^"]*revenue/[^"]*)"', text, re.S)
        assert link is not None
        revenue_page = client.get(link.group(1))
        assert revenue_page.status_code == 200
        assert f"Logo churn = {tier.year_churn_worked}" in html.unescape(revenue_page.content.decode()), tier.tier
