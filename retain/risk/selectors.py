"""Reads of the churn-risk model's runs and scores, always workspace-scoped."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import QuerySet

from retain.accounts.models import Account
from retain.risk.choices import RunStatus
from retain.risk.features import LABELS
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.tenancy.models import Workspace


def latest_run(workspace: Workspace) -> ChurnModelRun | None:
    """The latest training, whatever its outcome."""
    return ChurnModelRun.objects.filter(workspace=workspace).order_by("-trained_at", "-id").first()


def latest_successful_run(workspace: Workspace) -> ChurnModelRun | None:
    runs = ChurnModelRun.objects.filter(workspace=workspace, status=RunStatus.SUCCEEDED)
    return runs.order_by("-trained_at", "-id").first()


# The orders the risk list offers, by the key a page or export asks for; ties go by account name.
RISK_ORDERS: dict[str, tuple[str, ...]] = {
    "-probability": ("-probability",),
    "probability": ("probability",),
    "account": ("account__name",),
    "-account": ("-account__name",),
    "tier": ("account__tier",),
    "-tier": ("-account__tier",),
    "owner": ("account__owner__user__first_name", "account__owner__user__last_name"),
    "-owner": ("-account__owner__user__first_name", "-account__owner__user__last_name"),
}
DEFAULT_RISK_ORDER = "-probability"


def risks_of_run(run: ChurnModelRun, order: str = DEFAULT_RISK_ORDER) -> QuerySet[ChurnRisk]:
    """The run's scores of its latest day, riskiest first unless `order` (a key of RISK_ORDERS) says otherwise."""
    latest = run.risks.order_by("-day").values_list("day", flat=True).first()
    if latest is None:
        return ChurnRisk.objects.none()
    return (
        ChurnRisk.objects.filter(run=run, day=latest)
        .select_related("account__owner__user")
        .order_by(*RISK_ORDERS.get(order, RISK_ORDERS[DEFAULT_RISK_ORDER]), "account__name", "pk")
    )


def account_risk(account: Account) -> ChurnRisk | None:
    """The account's latest churn-risk score."""
    return ChurnRisk.objects.filter(account=account).select_related("run").order_by("-day", "-id").first()


def reason_label(feature: str) -> str:
    return LABELS.get(feature, feature.replace("_", " "))


def labelled_reasons(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A score's stored reasons with the feature's label and the value rounded for reading."""
    return [
        {**reason, "label": reason_label(str(reason.get("feature", ""))), "shown": _shown(str(reason.get("value", "")))}
        for reason in reasons
    ]


def _shown(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:.3g}"
