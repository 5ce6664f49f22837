"""The churn model's quality gate: named thresholds, one reason per requirement missed."""

from __future__ import annotations

from retain.risk import gate


def test_the_thresholds_are_30_churned_accounts_and_a_held_out_auc_of_060() -> None:
    assert (gate.MIN_CHURNED_ACCOUNTS, gate.MIN_HOLDOUT_AUC) == (30, 0.60)


def test_a_model_with_enough_churners_and_a_good_auc_passes() -> None:
    assert gate.quality_gate(churned_accounts=30, holdout_auc=0.60) == []


def test_each_requirement_missed_is_a_reason_naming_what_there_is_and_what_is_needed() -> None:
    assert gate.quality_gate(churned_accounts=12, holdout_auc=0.247) == [
        "12 churned accounts; at least 30 needed",
        "held-out AUC 0.25 < 0.60",
    ]
    assert gate.quality_gate(churned_accounts=40, holdout_auc=0.52) == ["held-out AUC 0.52 < 0.60"]


def test_an_auc_that_could_not_be_measured_does_not_pass() -> None:
    (reason,) = gate.quality_gate(churned_accounts=40, holdout_auc=None)
    assert reason.startswith("no held-out AUC (the held-out months hold one outcome only)")


def test_the_shortfalls_say_what_data_is_missing() -> None:
    churners, auc = gate.shortfalls(churned_accounts=12, holdout_auc=0.52)
    assert (churners.have, churners.need) == ("12", "at least 30") and churners.remedy.startswith("18 more accounts")
    assert (auc.have, auc.need) == ("0.52", "at least 0.60") and "usage" in auc.remedy
    # A run trained before the count was kept is judged on its AUC alone.
    assert gate.shortfalls(churned_accounts=None, holdout_auc=0.7) == []
