"""The churn-risk model trained on a workspace's own history, and the probabilities it gives."""

from __future__ import annotations

from django.db import models

from retain.accounts.models import Account
from retain.risk.choices import RunStatus
from retain.tenancy.models import Workspace


class ChurnModelRun(models.Model):
    """One training of the churn-risk model: which snapshots it learnt from, how it did on the held-out
    (later) snapshots, and why it refused when the history was too short.

    `window` holds the snapshot dates: {"first", "holdout_from", "last", "horizon_days", "snapshots"}.
    `calibration` is the held-out calibration table: [{"lower", "upper", "count", "mean_predicted",
    "observed_rate"}, ...]. `features` lists the input columns.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    trained_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunStatus.choices)
    message = models.CharField(max_length=500, blank=True)
    window = models.JSONField(default=dict, blank=True)
    model = models.CharField(max_length=40, blank=True)
    rows = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    # Distinct accounts that churned within the horizon of a snapshot (None: trained before it was kept).
    churned_accounts = models.PositiveIntegerField(null=True, blank=True)
    cv_auc = models.FloatField(null=True, blank=True)
    holdout_rows = models.PositiveIntegerField(default=0)
    holdout_positives = models.PositiveIntegerField(default=0)
    holdout_auc = models.FloatField(null=True, blank=True)
    holdout_brier = models.FloatField(null=True, blank=True)
    calibration = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=list, blank=True)
    scored = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-trained_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-trained_at"], name="churn_run_ws_trained")]

    def __str__(self) -> str:
        return f"{self.status} {self.trained_at:%Y-%m-%d %H:%M}"


class ChurnRisk(models.Model):
    """An account's calibrated probability of churning at its next renewal, as scored on one day, with
    the reasons that raise it most: [{"feature", "value", "effect"}, ...]."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="churn_risks")
    day = models.DateField()
    probability = models.FloatField()
    reasons = models.JSONField(default=list, blank=True)
    run = models.ForeignKey(ChurnModelRun, on_delete=models.CASCADE, related_name="risks")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="churn_risk_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=1), name="churn_risk_probability_0_1"
            ),
        ]
        indexes = [models.Index(fields=["workspace", "day", "-probability"], name="churn_risk_ws_day")]

    def __str__(self) -> str:
        return f"{self.probability:.0%} on {self.day}"
