"""The churn-risk model on a small synthetic workspace: small contracts churn five months in, large
ones stay; the model trains on the earlier monthly snapshots, is judged on the later ones, and scores
today's paying accounts with a calibrated probability and its reasons."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.config.celery import app
from retain.config.schedule import SCHEDULE
from retain.metrics.cohorts import add_months
from retain.risk import jobs, selectors
from retain.risk.choices import RunStatus
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.risk.services import churn_model_train, snapshot_days
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Workspace

TODAY = dt.date(2026, 11, 1)


def train(workspace: Workspace) -> ChurnModelRun:
    """One quick candidate and three folds keep the tests fast."""
    return churn_model_train(workspace=workspace, today=TODAY, candidates=["logistic_regression"], folds=3)


@pytest.fixture
def history(workspace: Workspace) -> None:
    """60 accounts starting a week apart from 2025-01-01; the odd ones (1 seat, 50/month) stop paying
    five months in, the even ones (10 seats, 500/month) stay; three small ones signed in August 2026."""
    for i in range(60):
        started = dt.date(2025, 1, 1) + dt.timedelta(days=7 * i)
        if i % 2:
            customer(workspace, f"Small {i}", started=started, lost=add_months(started, 5), mrr=50, seats=1)
        else:
            customer(workspace, f"Large {i}", started=started, mrr=500, seats=10, tier="enterprise")
    for i in range(3):  # signed after the last snapshot: scored today, never trained on
        customer(workspace, f"Small new {i}", started=dt.date(2026, 8, 15), mrr=50, seats=1)


def test_snapshots_are_monthly_and_stop_a_horizon_before_today() -> None:
    days = snapshot_days(dt.date(2025, 1, 17), dt.date(2025, 9, 1), 90)
    assert days == [dt.date(2025, m, 1) for m in range(2, 7)]


def test_it_learns_a_separating_feature_and_is_judged_on_later_months(workspace: Workspace, history: None) -> None:
    run = train(workspace)
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert run.window["first"] == "2025-02-01" and run.window["last"] == "2026-08-01"
    assert run.window["holdout_from"] == "2026-06-01"  # the latest quarter of the 19 snapshots
    assert run.holdout_rows > 0 and run.holdout_positives > 0
    assert run.holdout_auc is not None and run.holdout_auc > 0.5
    assert sum(b["count"] for b in run.calibration) == run.holdout_rows
    assert {"seats", "mrr", "tier", "days_to_renewal"} <= set(run.features)


def test_it_scores_todays_paying_accounts_riskiest_first(workspace: Workspace, history: None) -> None:
    run = train(workspace)
    risks = list(selectors.risks_of_run(run))
    paying = 33 + sum(
        1 for i in range(1, 60, 2) if add_months(dt.date(2025, 1, 1) + dt.timedelta(days=7 * i), 5) > TODAY
    )
    assert run.scored == len(risks) == paying
    assert all(r.day == TODAY and 0 <= r.probability <= 1 for r in risks)
    assert [r.probability for r in risks] == sorted((r.probability for r in risks), reverse=True)
    explained = [reason for r in risks for reason in r.reasons]
    assert explained and all(reason["effect"] > 0 and reason["feature"] in run.features for reason in explained)


def test_retraining_the_same_day_replaces_the_scores(workspace: Workspace, history: None) -> None:
    train(workspace)
    run = train(workspace)
    assert ChurnRisk.objects.filter(workspace=workspace).count() == run.scored
    assert set(ChurnRisk.objects.values_list("run", flat=True)) == {run.pk}


def test_too_little_history_is_refused_with_the_reason(workspace: Workspace) -> None:
    for i in range(10):
        customer(workspace, f"New {i}", started=dt.date(2026, 6, 1), lost=dt.date(2026, 8, 1) if i % 2 else None)
    run = train(workspace)
    assert run.status == RunStatus.REFUSED
    assert run.message == (
        "2 monthly snapshot(s) have a known outcome (history from 2026-06-01, horizon 90 days); at least 4 are needed"
    )
    assert not ChurnRisk.objects.exists()


def test_history_without_churn_is_refused(workspace: Workspace) -> None:
    for i in range(10):
        customer(workspace, f"Loyal {i}", started=dt.date(2025, 1, 1))
    run = train(workspace)
    assert run.status == RunStatus.REFUSED
    assert run.message == (
        "0 account(s) churned within 90 days of a training snapshot (before 2026-06-01); "
        "at least 3 are needed to learn from"
    )


def test_an_empty_workspace_is_refused(workspace: Workspace) -> None:
    run = churn_model_train(workspace=workspace, today=TODAY)
    assert run.status == RunStatus.REFUSED and "no subscription history" in run.message


def test_the_weekly_retraining_is_scheduled_with_an_expiry() -> None:
    entry = SCHEDULE["retrain-churn-model"]
    assert entry["task"] == "retain.risk.jobs.retrain_all" and entry["task"] in app.tasks
    assert entry["options"]["expires"] > 0


def test_the_weekly_job_trains_every_workspace(workspace: Workspace, other_workspace: Workspace) -> None:
    assert jobs.retrain_all() == 0
    assert ChurnModelRun.objects.filter(status=RunStatus.REFUSED).count() == 2


def test_the_command_refuses_an_unknown_workspace(db: None) -> None:
    with pytest.raises(CommandError, match="no workspace 'nope'"):
        call_command("churn", "train", "--workspace", "nope")


def test_the_command_reports_a_refusal(workspace: Workspace) -> None:
    with pytest.raises(CommandError, match="acme: refused: 0 monthly snapshot"):
        call_command("churn", "train", "--workspace", "acme")


def test_the_command_trains_and_prints_the_held_out_auc(workspace: Workspace, history: None) -> None:
    out = io.StringIO()
    call_command("churn", "train", "--workspace", "acme", stdout=out)
    assert "acme: " in out.getvalue() and "held-out auc=" in out.getvalue()
    assert ChurnModelRun.objects.get().status == RunStatus.SUCCEEDED


def test_a_model_that_passes_the_gate_records_its_churned_accounts(workspace: Workspace, history: None) -> None:
    run = train(workspace)
    assert run.status == RunStatus.SUCCEEDED and run.churned_accounts == 30 and not run.message
    assert selectors.usable_run(workspace) == run
    assert selectors.usable_risks(workspace).count() == run.scored > 0


@pytest.fixture
def small_history(workspace: Workspace) -> None:
    """40 accounts starting a week apart from 2025-01-01; 13 of them (1 seat, 50/month) stop paying
    five months in: enough to train on, too few churners to trust."""
    for i in range(40):
        started = dt.date(2025, 1, 1) + dt.timedelta(days=7 * i)
        if i % 3 == 1:
            customer(workspace, f"Small {i}", started=started, lost=add_months(started, 5), mrr=50, seats=1)
        else:
            customer(workspace, f"Large {i}", started=started, mrr=500, seats=10, tier="enterprise")


def test_a_small_workspaces_model_is_kept_with_its_evaluation_but_scores_nobody(
    workspace: Workspace, small_history: None
) -> None:
    run = train(workspace)
    assert run.status == RunStatus.GATED
    assert run.churned_accounts == 13
    assert run.message.startswith("13 churned accounts; at least 30 needed")
    assert run.holdout_rows > 0 and run.calibration and run.model == "logistic_regression"
    assert run.scored == 0 and not ChurnRisk.objects.exists()
    assert selectors.usable_run(workspace) is None and selectors.latest_trained_run(workspace) == run
    assert [s.measure for s in selectors.gate_shortfalls(run)] == ["Churned accounts", "Held-out ROC-AUC"]


def test_a_training_below_the_gate_retires_the_scores_of_the_model_before_it(
    workspace: Workspace, history: None
) -> None:
    passed = train(workspace)
    assert selectors.usable_risks(workspace).exists()
    ChurnModelRun.objects.create(
        workspace=workspace, trained_at=passed.trained_at + dt.timedelta(days=7), status=RunStatus.GATED,
        message="held-out AUC 0.52 < 0.60", holdout_auc=0.52, churned_accounts=31,
    )  # fmt: skip
    assert selectors.usable_run(workspace) is None
    assert not selectors.usable_risks(workspace).exists()
    account = ChurnRisk.objects.filter(run=passed).first()
    assert account is not None and selectors.account_risk(account.account) is None


def test_a_later_refusal_leaves_the_model_in_use(workspace: Workspace, history: None) -> None:
    passed = train(workspace)
    ChurnModelRun.objects.create(
        workspace=workspace, trained_at=passed.trained_at + dt.timedelta(days=7), status=RunStatus.REFUSED
    )
    assert selectors.usable_run(workspace) == passed and selectors.usable_risks(workspace).count() == passed.scored


def test_the_command_reports_a_model_below_the_gate(workspace: Workspace, small_history: None) -> None:
    with pytest.raises(CommandError, match="acme: gated: 13 churned accounts; at least 30 needed"):
        call_command("churn", "train", "--workspace", "acme")
