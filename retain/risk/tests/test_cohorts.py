"""Renewal cohorts from the ledger and the sBG fitted per tier (retain.metrics.cohorts)."""

from __future__ import annotations

import datetime as dt

import pytest

from retain.accounts import ledger as subscription_ledger
from retain.metrics import cohorts, retention
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Workspace

D = dt.date


def test_cohorts_are_start_quarters_counting_who_still_pays_at_each_yearly_anniversary() -> None:
    lives = [(D(2021, 3, 1), None), (D(2021, 6, 1), D(2022, 3, 1)), (D(2021, 9, 1), D(2023, 8, 1))]
    lives += [(D(2022, 2, 1), None)]
    found = cohorts.build_cohorts(lives, period_months=12, today=D(2024, 1, 15))
    assert [(c.label, c.active) for c in found] == [
        ("2021 Q1", [1, 1, 1]),
        ("2021 Q2", [1, 0, 0]),
        ("2021 Q3", [1, 1, 0]),
        ("2022 Q1", [1, 1]),
    ]


def test_a_cohort_is_only_observed_once_its_last_member_reached_the_anniversary() -> None:
    lives = [(D(2025, 1, 5), None), (D(2025, 3, 30), None)]
    found = cohorts.build_cohorts(lives, period_months=3, today=D(2025, 6, 29))
    assert found[0].active == [2]
    found = cohorts.build_cohorts(lives, period_months=3, today=D(2025, 6, 30))
    assert found[0].active == [2, 2]


def test_add_months_keeps_the_day_or_the_months_end() -> None:
    assert cohorts.add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert cohorts.add_months(D(2024, 11, 15), 3) == D(2025, 2, 15)


def test_a_ledger_loses_an_account_when_nothing_is_paid_any_more(workspace: Workspace) -> None:
    account = customer(workspace, "Initech", started=D(2025, 1, 10), lost=D(2025, 6, 1))
    ledger = subscription_ledger.load(workspace)[account.pk]
    assert ledger.started_on == D(2025, 1, 10)
    assert ledger.lost_on == D(2025, 6, 1)
    assert ledger.paying_on(D(2025, 5, 31)) and not ledger.paying_on(D(2025, 6, 1))
    assert ledger.lost_after(D(2025, 6, 1)) is None


@pytest.fixture
def book(workspace: Workspace) -> None:
    """Community: a 2025 Q1 cohort of 12 (3 lost before the first anniversary, 2 before the second, 1
    before the third) and a Q2 cohort of 4 (1 lost before the second); enterprise: 3 accounts only."""
    lost = [D(2025, 3, 1)] * 3 + [D(2025, 6, 1)] * 2 + [D(2025, 9, 1)] + [None] * 6
    for i, when in enumerate(lost):
        customer(workspace, f"Q1 {i}", started=D(2025, 1, 10), lost=when, mrr=200)
    for i, when in enumerate([D(2025, 8, 1), None, None, None]):
        customer(workspace, f"Q2 {i}", started=D(2025, 4, 20), lost=when, mrr=200)
    for i in range(3):
        customer(workspace, f"Ent {i}", started=D(2025, 2, 1), tier="enterprise", mrr=1000)


def test_a_short_history_uses_quarters(workspace: Workspace, book: None) -> None:
    report = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31))
    assert report.period_months == 3 and report.period_name == "quarter"
    assert report.discount == pytest.approx(1.1**0.25 - 1)


def test_each_tier_gets_its_cohorts_and_a_fit(workspace: Workspace, book: None) -> None:
    report = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31))
    community = report.tiers[0]
    assert community.tier == "community"
    assert [(c.label, c.active) for c in community.cohorts] == [("2025 Q1", [12, 9, 7, 6]), ("2025 Q2", [4, 4, 3])]
    assert community.fit is not None and not community.refusal
    # Observed churn pooled over every observed renewal: 3+2+1+0+1 lost of 12+9+7+4+4 at risk.
    assert community.observed_churn == pytest.approx(7 / 36)
    assert community.curve[0].observed == 1.0 and community.curve[1].observed == pytest.approx(13 / 16)
    assert community.curve[3].observed == pytest.approx(6 / 12)
    assert community.curve[6].observed is None and community.curve[6].fitted is not None
    assert community.average_mrr == pytest.approx(200.0)
    assert community.clv is not None
    assert "seed formula" in community.clv.explanation
    assert community.tenure_note == ""  # the fit sees retention rise with tenure here
    assert community.discounted_lifetime == pytest.approx(community.fit.discounted_expected_lifetime(report.discount))


def test_a_tier_with_too_little_history_is_refused_with_the_reason(workspace: Workspace, book: None) -> None:
    report = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31))
    enterprise, strategic = report.tiers[1], report.tiers[2]
    assert enterprise.fit is None
    assert enterprise.refusal == (
        "3 account(s) have been customers for a full quarter; the model needs at least 10 to fit"
    )
    assert strategic.refusal.startswith("0 account(s)")


def test_a_single_observed_period_is_refused(workspace: Workspace) -> None:
    for i in range(12):
        customer(workspace, f"A {i}", started=D(2025, 1, 10), lost=D(2025, 3, 1) if i < 3 else None)
    report = cohorts.retention_by_tier(workspace, today=D(2025, 7, 15))
    assert "observed for 1 quarter(s)" in report.tiers[0].refusal


def test_a_tier_that_never_lost_an_account_is_refused(workspace: Workspace) -> None:
    for i in range(12):
        customer(workspace, f"A {i}", started=D(2025, 1, 10))
    report = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31))
    assert report.tiers[0].refusal.startswith("no account was lost at an observed renewal")


def test_days_to_renewal_come_from_the_ledgers_anniversaries(workspace: Workspace) -> None:
    """Not from the subscription's term end, which is today's and would tell, on a past day, who renewed."""
    account = customer(workspace, "Initech", started=D(2024, 3, 10), lost=D(2026, 3, 10))
    ledger = subscription_ledger.load(workspace)[account.pk]
    assert ledger.days_to_anniversary(D(2024, 3, 10)) == 365
    assert ledger.days_to_anniversary(D(2025, 2, 8)) == 30
    assert ledger.days_to_anniversary(D(2025, 3, 10)) == 0
    assert ledger.days_to_anniversary(D(2025, 3, 11)) == 364
    assert ledger.days_to_anniversary(D(2026, 3, 10)) is None  # nothing paid any more


def test_a_fit_flat_with_tenure_says_so_beside_the_clvs() -> None:
    fit = retention.SbgFit(alpha=9000.0, beta=160000.0, log_likelihood=0.0, cohort_size=20)
    clv = retention.clv_comparison(fit, gross_margin=0.75, average_mrr=450, monthly_churn=0.0045)
    tier = cohorts.TierRetention(tier="community", label="Community", cohorts=[], fit=fit, clv=clv)
    assert tier.tenure_note.startswith("Here retention hardly rises with tenure (94.7% at the first renewal")


def test_both_clvs_use_the_workspaces_gross_margin(workspace: Workspace, book: None) -> None:
    at_75 = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31)).tiers[0]
    workspace.gross_margin_pct = 60
    workspace.save()
    at_60 = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31)).tiers[0]
    assert at_75.clv is not None and at_60.clv is not None
    assert at_60.gross_margin == 0.6 and at_60.monthly_churn is not None
    assert at_60.clv.seed_clv == pytest.approx(0.6 * 200 / at_60.monthly_churn)
    assert at_60.clv.seed_clv == pytest.approx(at_75.clv.seed_clv * 0.6 / 0.75)  # type: ignore[operator]  # both tiers are fitted here, so the CLV is a number
    assert at_60.clv.new_customer_clv == pytest.approx(at_75.clv.new_customer_clv * 0.6 / 0.75)
    assert at_60.clv.residual_clv == pytest.approx(at_75.clv.residual_clv * 0.6 / 0.75)


def test_a_tier_with_too_few_losses_gets_no_clv_rather_than_a_division(workspace: Workspace) -> None:
    """One loss in 34 renewals: a monthly churn near 0.2% would value a customer at 40 years of margin."""
    for i in range(12):
        customer(workspace, f"S {i}", started=D(2025, 1, 10), lost=D(2025, 3, 1) if i == 0 else None, tier="strategic")
    strategic = cohorts.retention_by_tier(workspace, today=D(2025, 12, 31)).tiers[2]
    assert strategic.fit is not None and strategic.lost == 1 < cohorts.MIN_CLV_CHURNERS
    assert strategic.clv is None
    assert strategic.clv_refusal == (
        "not enough churn history: 1 account(s) lost at 34 observed renewals; "
        "at least 5 are needed before a churn rate can value a customer"
    )
