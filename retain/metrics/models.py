"""What the revenue metrics need beyond the ledger: spend entered per period (for CAC and CRC) and
each CSM's quota (a target net retention or a target ARR for the book held at the period's start)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q

from retain.metrics.choices import SpendCategory
from retain.tenancy.models import Member, Workspace

DEFAULT_TARGET_NRR = Decimal("1.20")  # seed 003: a $1M book should end the year at $1.2M


class Spend(models.Model):
    """The money spent in one period (a month or a quarter) on one category, in the workspace currency."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=24, choices=SpendCategory.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "category", "period_start"], name="spend_one_per_period"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="spend_amount_not_negative"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="spend_period_in_order"),
        ]
        ordering = ["-period_start", "category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.period_start}–{self.period_end}: {self.amount}"

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


class Quota(models.Model):
    """A CSM's target for one period: the book's net retention (1.20 = 120%) or, when set, its ARR."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="quotas")
    period_start = models.DateField()
    period_end = models.DateField()
    target_nrr = models.DecimalField(max_digits=6, decimal_places=4, default=DEFAULT_TARGET_NRR)
    target_arr = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "period_start"], name="quota_one_per_period"),
            models.CheckConstraint(condition=Q(target_nrr__gt=0), name="quota_target_nrr_positive"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="quota_period_in_order"),
        ]
        ordering = ["-period_start", "member_id"]

    def __str__(self) -> str:
        return f"Quota of {self.member_id} {self.period_start}–{self.period_end}"
