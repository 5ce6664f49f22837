"""Customer lifetime value per tier as figures: the seed formula and the sBG values, each showing the
gross margin it used, its inputs and the worked sum; a tier without enough churn history says so."""

from __future__ import annotations

import datetime as dt

import pytest

from retain.metrics import clv, cohorts
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Workspace

D = dt.date


@pytest.fixture
def report(workspace: Workspace) -> cohorts.RetentionReport:
    """Community: 16 accounts at 200/month, 7 lost at observed renewals; strategic: 12, one lost."""
    lost = [D(2025, 3, 1)] * 3 + [D(2025, 6, 1)] * 2 + [D(2025, 9, 1)] + [None] * 6
    for i, when in enumerate(lost):
        customer(workspace, f"Q1 {i}", started=D(2025, 1, 10), lost=when, mrr=200)
    for i, when in enumerate([D(2025, 8, 1), None, None, None]):
        customer(workspace, f"Q2 {i}", started=D(2025, 4, 20), lost=when, mrr=200)
    for i in range(12):
        customer(workspace, f"S {i}", started=D(2025, 1, 10), lost=D(2025, 3, 1) if i == 0 else None, tier="strategic")
    workspace.gross_margin_pct = 82.5
    workspace.save()
    return cohorts.retention_by_tier(workspace, today=D(2025, 12, 31))


def test_each_value_shows_the_margin_and_its_worked_sum(report: cohorts.RetentionReport) -> None:
    community = clv.clv_by_tier(report, "USD")[0]
    tier = report.tiers[0]
    assert tier.clv is not None and tier.monthly_churn is not None
    assert community.seed.value == pytest.approx(0.825 * 200 / tier.monthly_churn)
    assert community.seed.inputs["gross_margin"] == "82.5%"
    assert community.seed.inputs["churn_per_quarter"] == "7 lost / 36 renewals = 19.44%"
    assert community.seed.worked.startswith(f"CLV = 82.5% × $200 ÷ {100 * tier.monthly_churn:.3f}% = $")
    assert community.sbg_new.value == tier.clv.new_customer_clv
    assert community.sbg_new.inputs["gross_margin"] == "82.5%" and community.sbg_new.inputs["months_per_period"] == 3
    assert community.sbg_residual.value == tier.clv.residual_clv and "DERL" in community.sbg_residual.inputs
    assert "seed formula" in community.explanation
    assert [row["display"].startswith("$") for row in community.rows()] == [True, True, True]


def test_a_tier_without_enough_churn_history_shows_no_value_and_says_why(report: cohorts.RetentionReport) -> None:
    enterprise, strategic = clv.clv_by_tier(report, "USD")[1:]
    assert (strategic.seed.value, strategic.sbg_new.value, strategic.sbg_residual.value) == (None, None, None)
    assert strategic.refusal.startswith("not enough churn history: 1 account(s) lost at 34 observed renewals")
    assert strategic.seed.worked == f"no value: {strategic.refusal}"
    assert strategic.seed.inputs == {"gross_margin": "82.5%", "accounts_lost": 1, "renewals_observed": 34}
    assert [row["display"] for row in strategic.rows()] == ["—", "—", "—"]
    assert enterprise.refusal.startswith("0 account(s) have been customers")
