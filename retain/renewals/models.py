"""Renewal opportunities (one per subscription term) and the reason codes their outcomes cite."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from retain.accounts.models import Account, Subscription
from retain.renewals.choices import (
    NOT_FORECAST,
    NOT_FORECAST_LABEL,
    ExpansionKind,
    ExpansionSignal,
    ExpansionStatus,
    ForecastCategory,
    Outcome,
    ReasonKind,
    Stage,
)
from retain.tenancy.models import Member, Workspace


class ReasonCode(models.Model):
    """One entry of the workspace's editable library of churn, downgrade and expansion reasons.

    Codes are retired (active=False) rather than deleted, because closed renewals cite them.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ReasonKind.choices)
    label = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "kind", "label"], name="reason_code_unique_label"),
        ]
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


class Renewal(models.Model):
    """The opportunity to renew one subscription term, opened when the tier's renewal window opens.

    Amounts are ARR in the workspace currency: `target_amount` is what is up for renewal (the
    subscription's MRR × 12 on the day it opened), `forecast_amount` the owner's expectation and
    `final_amount` what the customer signed for (0 when it churned). A renewal opens "not forecast
    yet": `forecast_category` blank and `forecast_amount` empty until the owner sets both together.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="renewals")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="renewals")
    term_end = models.DateField(help_text="the end of the term this opportunity renews")
    owner = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals")
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.OPEN)
    forecast_category = models.CharField(
        max_length=16, choices=ForecastCategory.choices, blank=True, default=NOT_FORECAST
    )
    target_amount = models.DecimalField(max_digits=16, decimal_places=2)
    forecast_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    final_amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    close_date = models.DateField(help_text="expected close while open; the day it closed once closed")
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    reasons = models.ManyToManyField(ReasonCode, blank=True, related_name="renewals")
    notes = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "term_end"], name="renewal_one_per_term"),
            models.CheckConstraint(
                condition=Q(target_amount__gte=0) & Q(forecast_amount__gte=0),
                name="renewal_amounts_not_negative",
            ),
            # A forecast is a category and an amount, or neither: never a half-made one.
            models.CheckConstraint(
                condition=(Q(forecast_category=NOT_FORECAST) & Q(forecast_amount__isnull=True))
                | (~Q(forecast_category=NOT_FORECAST) & Q(forecast_amount__isnull=False)),
                name="renewal_forecast_whole",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "stage", "term_end"], name="renewal_ws_stage_term")]
        ordering = ["term_end", "id"]

    def __str__(self) -> str:
        return f"Renewal of {self.subscription_id} ending {self.term_end}"

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED

    @property
    def is_forecast(self) -> bool:
        return self.forecast_category != NOT_FORECAST

    @property
    def forecast_label(self) -> str:
        return self.get_forecast_category_display() if self.is_forecast else NOT_FORECAST_LABEL


class ExpansionOpportunity(models.Model):
    """A chance to sell an account more (more seats, a higher edition, another product), opened by a signal.

    `explanation` says in words and numbers why the signal fired; `amount` is the additional ARR
    expected, in the workspace currency. `dedupe_key` ("<account>:<signal>") is unique among open
    opportunities, so a signal that keeps holding day after day opens one opportunity, not one a day.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="expansion_opportunities")
    kind = models.CharField(max_length=16, choices=ExpansionKind.choices)
    signal = models.CharField(max_length=32, choices=ExpansionSignal.choices)
    explanation = models.CharField(max_length=500)
    amount = models.DecimalField(max_digits=16, decimal_places=2, help_text="additional ARR, workspace currency")
    status = models.CharField(max_length=8, choices=ExpansionStatus.choices, default=ExpansionStatus.OPEN)
    owner = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="expansion_opportunities"
    )
    notes = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=100)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "dedupe_key"],
                condition=Q(status="open"),
                name="expansion_one_open_per_signal",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="expansion_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["workspace", "status", "signal"], name="expansion_ws_status_signal")]
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.account_id}: {self.get_signal_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == ExpansionStatus.OPEN
