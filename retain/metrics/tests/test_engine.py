"""The revenue engine on a small ledger whose figures are worked out by hand.

The book (workspace currency USD, period Q1 2026 = 2026-01-01 … 2026-03-31):

    account  tier        owner today  ledger
    Apex     enterprise  Carol        1,000 from 2025-01-01 (term ends 2026-02-15); 1,200 from 2026-02-15
    Birch    enterprise  Carol          500 from 2025-03-01 (term ends 2026-03-01); churned 2026-03-01
    Cedar    community   Dave         2,000 from 2025-06-01; 1,500 from 2026-01-20 (Carol's until today)
    Dune     enterprise  Dave           300 new on 2026-02-01
    Elm      enterprise  Carol          400 from 2025-01-01; churned 2025-10-01; back at 400 on 2026-03-10

MRR at start (close of 2025-12-31): Apex 1,000 + Birch 500 + Cedar 2,000 = 3,500 (Elm is churned).
Movements of Q1: new +300, expansion +200, reactivation +400, contraction −500, churn −500.
MRR at end: 3,500 + 300 + 200 + 400 − 500 − 500 = 3,400 (= 1,200 + 0 + 1,500 + 300 + 400).
Accounts active at start: Apex, Birch, Cedar, with MRR 3,500; at the end they have 1,200 + 0 + 1,500 = 2,700.
NRR = 2,700 / 3,500 = 77.14%; GRR = (1,000 + 0 + 1,500) / 3,500 = 71.43%; logo churn = 1 / 3;
revenue churn = (500 churned + 500 downsell) / 3,500 = 28.57% = 1 − GRR.
Eligible churn: terms ending in Q1 are Apex's (recorded by its renewal window entry) and Birch's:
due = 12 × (1,000 + 500) = 18,000; lost = 12 × 500 = 6,000 (Apex grew, which does not offset) → 33.33%.
Carol's book at the start is Apex, Birch and Cedar: 42,000 ARR → 32,400 at the end, 77.14% net
retention, 64.29% of a 120% target.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from retain.accounts import services as account_services
from retain.accounts.figures import Filters, Period
from retain.accounts.models import Account, Subscription
from retain.health.choices import Band
from retain.health.portfolio import green_share, portfolio
from retain.health.tests.test_models import score, scorecard
from retain.metrics import engine
from retain.surveys import services as survey_services
from retain.tenancy.models import Member, Workspace

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
D = dt.date


def _account(workspace: Workspace, name: str, tier: str, owner: Member) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name=name, tier=tier, edition="professional", owner=owner
    )


def _subscription(account: Account, mrr: str, started: dt.date, term_end: dt.date) -> Subscription:
    account_services.subscription_create(
        account=account,
        actor=None,
        via="test",
        product="Marketing Hub",
        mrr=Decimal(mrr),
        seats=10,
        started_on=started,
        term_end=term_end,
    )
    return account.subscriptions.get()


def _change(subscription: Subscription, day: dt.date, mrr: str, term_end: dt.date | None = None) -> None:
    subscription.refresh_from_db()
    account_services.subscription_change(
        subscription=subscription, actor=None, via="test", effective_on=day, mrr=Decimal(mrr), term_end=term_end
    )


@pytest.fixture
def book(workspace: Workspace, carol: Member, dave: Member) -> dict[str, Account]:
    apex = _account(workspace, "Apex", "enterprise", carol)
    birch = _account(workspace, "Birch", "enterprise", carol)
    cedar = _account(workspace, "Cedar", "community", carol)
    elm = _account(workspace, "Elm", "enterprise", carol)
    apex_sub = _subscription(apex, "1000", D(2025, 1, 1), D(2026, 2, 15))
    birch_sub = _subscription(birch, "500", D(2025, 3, 1), D(2026, 3, 1))
    cedar_sub = _subscription(cedar, "2000", D(2025, 6, 1), D(2026, 6, 1))
    elm_sub = _subscription(elm, "400", D(2025, 1, 1), D(2026, 1, 1))
    _change(elm_sub, D(2025, 10, 1), "0")
    # The renewal windows of Apex's and Birch's terms open (90 days out) before the year turns.
    account_services.renewal_windows_open(workspace=workspace, today=D(2025, 12, 31))
    _change(cedar_sub, D(2026, 1, 20), "1500")
    dune = _account(workspace, "Dune", "enterprise", dave)
    _subscription(dune, "300", D(2026, 2, 1), D(2027, 2, 1))
    _change(apex_sub, D(2026, 2, 15), "1200", term_end=D(2027, 2, 15))
    _change(birch_sub, D(2026, 3, 1), "0")
    _change(elm_sub, D(2026, 3, 10), "400", term_end=D(2027, 3, 10))
    # Cedar moves to Dave today: at the start of Q1 it was in Carol's book.
    account_services.accounts_reassign(workspace=workspace, actor=None, via="test", accounts=[cedar], new_owner=dave)
    return {"apex": apex, "birch": birch, "cedar": cedar, "dune": dune, "elm": elm}


def test_the_waterfall_sums_movements_by_kind_and_adds_up(workspace: Workspace, book: dict[str, Account]) -> None:
    waterfall = engine.revenue_metrics(workspace, Q1).waterfall
    assert waterfall.start == Decimal("3500")
    assert (waterfall.new, waterfall.expansion, waterfall.reactivation) == (Decimal(300), Decimal(200), Decimal(400))
    assert (waterfall.contraction, waterfall.churn, waterfall.other) == (Decimal(500), Decimal(500), Decimal(0))
    assert waterfall.end == Decimal("3400")
    assert waterfall.start + waterfall.net_change == waterfall.end
    steps = waterfall.steps()
    assert steps[0][2] == Decimal(42_000) and steps[-1][2] == Decimal(40_800)
    assert steps[0][2] + sum(amount for _, _, amount in steps[1:-1]) == steps[-1][2]


def test_retention_follows_the_book_definitions(workspace: Workspace, book: dict[str, Account]) -> None:
    metrics = engine.revenue_metrics(workspace, Q1)
    assert metrics.nrr.value == pytest.approx(2700 / 3500)
    assert metrics.grr.value == pytest.approx(2500 / 3500)
    assert metrics.logo_churn.value == pytest.approx(1 / 3)
    assert metrics.revenue_churn.value == pytest.approx(1000 / 3500)
    assert metrics.revenue_churn.value == pytest.approx(1 - (metrics.grr.value or 0))
    assert metrics.accounts_at_start == 3 and metrics.accounts_at_end == 4
    assert metrics.nrr.worked == "NRR = $2,700 / $3,500 = 77.1% (3 accounts)"
    assert metrics.logo_churn.inputs == {"churned": 1, "active_at_start": 3}
    assert metrics.arr_start.value == 42_000 and metrics.arr_end.value == 40_800


def test_eligible_churn_counts_terms_ending_in_the_period(workspace: Workspace, book: dict[str, Account]) -> None:
    figure = engine.revenue_metrics(workspace, Q1).eligible_churn
    assert figure.inputs == {"revenue_lost": Decimal(6000), "revenue_due": Decimal(18000), "subscriptions_due": 2}
    assert figure.value == pytest.approx(1 / 3)
    assert figure.worked.startswith("Eligible churn = $6,000 / $18,000 = 33.3%")


def test_filters_narrow_every_figure(workspace: Workspace, book: dict[str, Account], dave: Member) -> None:
    community = engine.revenue_metrics(workspace, Q1, Filters(tier="community"))
    assert (community.waterfall.start, community.waterfall.contraction, community.waterfall.end) == (
        Decimal(2000),
        Decimal(500),
        Decimal(1500),
    )
    assert community.nrr.value == pytest.approx(0.75)
    davids = engine.revenue_metrics(workspace, Q1, Filters(owner=dave))  # owner today: Cedar and Dune
    assert davids.waterfall.start == Decimal(2000) and davids.waterfall.end == Decimal(1800)
    assert davids.waterfall.new == Decimal(300)


def test_a_segment_filter_uses_the_saved_criteria(workspace: Workspace, book: dict[str, Account]) -> None:
    segment = account_services.segment_create(
        workspace=workspace, actor=None, name="Community", criteria={"tier": "community"}
    )
    metrics = engine.revenue_metrics(workspace, Q1, Filters(segment=segment))
    assert metrics.waterfall.start == Decimal(2000) and metrics.waterfall.end == Decimal(1500)


def test_any_as_of_period(workspace: Workspace, book: dict[str, Account]) -> None:
    """Q4 2025: start 1,000 + 500 + 2,000 + 400 = 3,900; Elm churns on 2025-10-01; end 3,500."""
    metrics = engine.revenue_metrics(workspace, Period(D(2025, 10, 1), D(2025, 12, 31)))
    assert metrics.waterfall.start == Decimal(3900) and metrics.waterfall.end == Decimal(3500)
    assert metrics.waterfall.churn == Decimal(400)
    assert metrics.logo_churn.value == pytest.approx(1 / 4)
    assert metrics.nrr.value == pytest.approx(3500 / 3900)


def test_a_period_with_no_revenue_has_undefined_ratios(workspace: Workspace) -> None:
    metrics = engine.revenue_metrics(workspace, Q1)
    assert metrics.nrr.value is None and metrics.logo_churn.value is None and metrics.eligible_churn.value is None
    assert metrics.waterfall.start == metrics.waterfall.end == Decimal(0)


def test_other_currencies_convert_and_the_rate_move_is_its_own_line(workspace: Workspace, carol: Member) -> None:
    from retain.tenancy import services as tenancy_services

    tenancy_services.exchange_rate_set(workspace=workspace, currency="EUR", valid_from=D(2025, 1, 1), rate="1.10")
    tenancy_services.exchange_rate_set(workspace=workspace, currency="EUR", valid_from=D(2026, 3, 1), rate="1.20")
    account = _account(workspace, "Fjord", "enterprise", carol)
    account_services.subscription_create(
        account=account, actor=None, via="test", product="Hub", mrr=Decimal(100), seats=1,
        started_on=D(2025, 1, 1), term_end=D(2027, 1, 1), currency="EUR",
    )  # fmt: skip
    _change(account.subscriptions.get(), D(2026, 2, 1), "200")
    waterfall = engine.revenue_metrics(workspace, Q1).waterfall
    # start 100 € × 1.10 = 110; expansion 100 € × 1.10 = 110; end 200 € × 1.20 = 240; the rate moved 20.
    assert (waterfall.start, waterfall.expansion, waterfall.end) == (Decimal(110), Decimal(110), Decimal(240))
    assert waterfall.other == Decimal(20)
    assert waterfall.start + waterfall.net_change == waterfall.end


def test_quota_attainment_uses_the_book_held_at_the_start(
    workspace: Workspace, book: dict[str, Account], carol: Member, dave: Member
) -> None:
    rows = engine.quota_attainment(workspace, Q1)
    assert [row.member for row in rows] == [carol]  # Dave held nothing paying on 2026-01-01
    row = rows[0]
    assert (row.accounts, row.arr_start, row.arr_end) == (3, Decimal(42_000), Decimal(32_400))
    # Q1 to date is 90 days: compared with 90/365 of the year's 20% growth, not with all of it.
    share = 1 + 0.2 * 90 / 365
    assert row.target == Decimal("1.049315") and row.full_target == Decimal("1.2")
    assert row.attainment.value == pytest.approx(32_400 / 42_000 / share, abs=1e-6)
    assert "= 77.1% / 104.9% = 73.5%" in row.attainment.worked
    assert row.attainment.worked.endswith("share for these 90 days = 100% + (120% − 100%) × 90/365 = 104.9%")
    assert engine.quota_attainment(workspace, Q1, Filters(owner=dave)) == []


def test_owners_on_reads_owner_changes_back(workspace: Workspace, book: dict[str, Account], carol: Member) -> None:
    owners = engine.owners_on(workspace, Q1.start, Account.objects.filter(workspace=workspace))
    assert owners[book["cedar"].pk] == carol.pk
    assert owners[book["dune"].pk] == book["dune"].owner_id


def test_the_seed_quota_example_is_exactly_met(workspace: Workspace, carol: Member) -> None:
    """Seed 003: a $1,000,000 book that ends the year at $1,200,000 is 120% net retention, 100% of quota."""
    account = _account(workspace, "Big", "strategic", carol)
    subscription = _subscription(account, "50000", D(2025, 1, 1), D(2026, 1, 1))
    second = _account(workspace, "Bigger", "strategic", carol)
    _subscription(second, "33333.33", D(2025, 1, 1), D(2026, 1, 1))
    _change(second.subscriptions.get(), D(2025, 1, 1), "33333.34")  # 83,333.34 MRR → $1,000,000.08 ARR
    _change(subscription, D(2026, 6, 1), "66666.66")
    row = engine.quota_attainment(workspace, Period(D(2026, 1, 1), D(2026, 12, 31)))[0]
    assert row.arr_start == Decimal("1000000.08") and row.arr_end == Decimal("1200000.00")
    assert row.attainment.value == pytest.approx(1.0, abs=1e-6)


def test_the_seed_eligible_churn_example(workspace: Workspace, carol: Member) -> None:
    """Seed 003: $20,000 lost of $2,000,000 due for renewal = 1%. Two terms end in 2026: one of
    $1,980,000 ARR renews flat, one of $20,000 churns (MRR 165,000 and 1,666.67: ARR 1,980,000 and
    20,000.04); a third subscription, not due in 2026, churns too and does not count."""
    flat = _subscription(_account(workspace, "Flat", "strategic", carol), "165000", D(2025, 5, 1), D(2026, 5, 1))
    lost = _subscription(_account(workspace, "Lost", "enterprise", carol), "1666.67", D(2025, 7, 1), D(2026, 7, 1))
    other = _subscription(_account(workspace, "Other", "enterprise", carol), "900", D(2025, 7, 1), D(2027, 7, 1))
    account_services.renewal_windows_open(workspace=workspace, today=D(2026, 4, 30))  # Flat's and Lost's
    _change(flat, D(2026, 5, 1), "165000", term_end=D(2027, 5, 1))
    _change(lost, D(2026, 7, 1), "0")
    _change(other, D(2026, 8, 1), "0")
    figure = engine.revenue_metrics(workspace, Period(D(2026, 1, 1), D(2026, 12, 31))).eligible_churn
    assert figure.inputs["revenue_due"] == Decimal("2000000.04")
    assert figure.inputs["revenue_lost"] == Decimal("20000.04")
    assert figure.value == pytest.approx(0.01, abs=1e-7)


def test_green_share_and_survey_figures(workspace: Workspace, book: dict[str, Account]) -> None:
    card = scorecard(workspace)
    for name, band in (("apex", Band.GREEN), ("birch", Band.RED), ("cedar", Band.GREEN), ("elm", Band.BLANK)):
        score(book[name], card, Q1.end, None if band == Band.BLANK else 50.0, band)
    metrics = engine.revenue_metrics(workspace, Q1)
    assert metrics.green_share.inputs["green"] == 2 and metrics.green_share.inputs["scored"] == 3
    assert metrics.green_share.value == pytest.approx(2 / 3)
    assert metrics.nps.value is None and metrics.csat.value is None


def test_green_share_reads_the_latest_score_of_the_week_as_the_health_page_does(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    """The period ends on a day whose nightly run has not happened: the revenue page counts the
    day before's scores, like the health page, instead of reading 0 of 0; an account churned before
    the day is left out, one churned after it still counts, and a score 8 days old is stale."""
    card = scorecard(workspace)
    day = Q1.end
    score(book["apex"], card, day - dt.timedelta(days=1), 80.0, Band.GREEN)
    score(book["birch"], card, day - dt.timedelta(days=2), 20.0, Band.RED)
    score(book["cedar"], card, day - dt.timedelta(days=8), 80.0, Band.GREEN)
    score(book["dune"], card, day - dt.timedelta(days=1), 80.0, Band.GREEN)
    score(book["elm"], card, day - dt.timedelta(days=1), 80.0, Band.GREEN)
    Account.objects.filter(pk=book["dune"].pk).update(stage="churned", stage_entered_on=day - dt.timedelta(days=30))
    Account.objects.filter(pk=book["elm"].pk).update(stage="churned", stage_entered_on=day + dt.timedelta(days=5))
    figure = engine.revenue_metrics(workspace, Q1).green_share
    assert (figure.inputs["green"], figure.inputs["scored"]) == (2, 3)
    assert figure.value == pytest.approx(2 / 3)
    assert "latest health score in the 7 days" in figure.formula
    today_accounts = Account.objects.filter(workspace=workspace).exclude(stage="churned")
    page = portfolio(today_accounts, workspace_id=workspace.pk, day=day, trend_weeks=0)
    assert page.green_share == pytest.approx(1 / 2)  # today elm has churned: the health page of today
    later = green_share(Account.objects.filter(workspace=workspace), day + dt.timedelta(days=5))
    assert (later.green, later.scored) == (1, 1)  # elm churned that day, birch's score is 7 days old


def test_nps_and_csat_count_the_answers_of_the_period_and_the_filters(
    workspace: Workspace, book: dict[str, Account], mark: Member
) -> None:
    """NPS 10, 9, 7, 3 from enterprise accounts = 50% − 25% = 25; a community 0 counts only unfiltered.
    CSAT 5, 4, 3 = 2 of 3 above 3.5."""
    nps = survey_services.survey_create(
        workspace=workspace, actor=mark, name="NPS", kind="nps", schedule_kind="recurring", schedule_days=182
    )
    csat = survey_services.survey_create(
        workspace=workspace, actor=mark, name="CSAT", kind="csat", schedule_kind="manual"
    )
    answers = [(nps, "apex", 10), (nps, "birch", 9), (nps, "dune", 7), (nps, "elm", 3), (nps, "cedar", 0)]
    answers += [(csat, "apex", 5), (csat, "birch", 4), (csat, "dune", 3)]
    for i, (survey, name, value) in enumerate(answers):
        contact = account_services.contact_create(
            account=book[name], actor=None, via="test", email=f"p{i}@{name}.example"
        )
        survey_services.response_record(
            survey=survey, contact=contact, score=value, comment="", source="web",
            answered_at=dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC),
        )  # fmt: skip
    enterprise = engine.revenue_metrics(workspace, Q1, Filters(tier="enterprise"))
    assert enterprise.nps.value == pytest.approx(25)
    assert enterprise.csat.value == pytest.approx(2 / 3)
    assert engine.revenue_metrics(workspace, Q1).nps.value == pytest.approx(100 * (2 - 2) / 5)
    assert engine.revenue_metrics(workspace, Period(D(2026, 4, 1), D(2026, 6, 30))).nps.value is None


def test_the_retention_trend_has_one_point_a_month(workspace: Workspace, book: dict[str, Account]) -> None:
    trend = engine.retention_trend(workspace, D(2026, 3, 31), months=3)
    assert [p.start for p in trend] == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    january, february, march = trend
    assert january.nrr.value == pytest.approx(3000 / 3500)  # Cedar's contraction
    # From 3,000 (Cedar already at 1,500): Apex's expansion counts, Dune is new and does not.
    assert february.nrr.value == pytest.approx(3200 / 3000)
    assert march.logo_churn.value == pytest.approx(1 / 4)  # Birch of Apex, Birch, Cedar, Dune


def test_the_query_count_does_not_grow_with_the_book(
    workspace: Workspace, book: dict[str, Account], carol: Member, django_assert_max_num_queries: object
) -> None:
    for i in range(5):
        extra = _account(workspace, f"Extra {i}", "enterprise", carol)
        _subscription(extra, "100", D(2025, 1, 1), D(2026, 1, 15))
    with django_assert_max_num_queries(9):  # type: ignore[operator]  # pytest-django's fixture is a callable context manager
        engine.revenue_metrics(workspace, Q1)
    with django_assert_max_num_queries(5):  # type: ignore[operator]  # pytest-django's fixture is a callable context manager
        engine.quota_attainment(workspace, Q1)
    with django_assert_max_num_queries(3):  # type: ignore[operator]  # pytest-django's fixture is a callable context manager
        engine.retention_trend(workspace, Q1.end)
