"""Reads of the churn-risk model's runs and scores, always workspace-scoped.

Only a run that passed the quality gate (status "succeeded") has scores, and they stay in use until a
later training fails the gate: `usable_risks` is every score a page, forecast or API answer may read.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from retain.accounts.models import Account
from retain.risk.choices import RunStatus
from retain.risk.features import LABELS
from retain.risk.gate import Shortfall, shortfalls
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.tenancy.models import Workspace


def latest_run(workspace: Workspace) -> ChurnModelRun | None:
    """The latest training, whatever its outcome."""
    return ChurnModelRun.objects.filter(workspace=workspace).order_by("-trained_at", "-id").first()


TRAINED = (RunStatus.SUCCEEDED, RunStatus.GATED)


def latest_trained_run(workspace: Workspace) -> ChurnModelRun | None:
    """The latest run that trained a model, whether or not it passed the quality gate (refusals aside)."""
    runs = ChurnModelRun.objects.filter(workspace=workspace, status__in=TRAINED)
    return runs.order_by("-trained_at", "-id").first()


def usable_run(workspace: Workspace) -> ChurnModelRun | None:
    """The run whose scores are in use: the latest trained one, when it passed the quality gate. A later
    refusal (too short a history) leaves it in use; a later run below the gate does not."""
    run = latest_trained_run(workspace)
    return run if run is not None and run.status == RunStatus.SUCCEEDED else None


def usable_risks(workspace: Workspace) -> QuerySet[ChurnRisk]:
    """Every score that may be read: those of runs that passed the gate with no run below it trained
    after them. One query (a NOT EXISTS per row), usable inside another query's subquery."""
    gated_later = ChurnModelRun.objects.filter(
        workspace=OuterRef("workspace"), status=RunStatus.GATED, trained_at__gt=OuterRef("run__trained_at")
    )
    return ChurnRisk.objects.filter(workspace=workspace, run__status=RunStatus.SUCCEEDED).exclude(Exists(gated_later))


def gate_shortfalls(run: ChurnModelRun) -> list[Shortfall]:
    """What a run below the quality gate lacks (nothing for one that passed)."""
    if run.status != RunStatus.GATED:
        return []
    return shortfalls(churned_accounts=run.churned_accounts, holdout_auc=run.holdout_auc)


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
    """The account's latest usable churn-risk score (None when no model in use scored it)."""
    risks = usable_risks(account.workspace).filter(account=account)
    return risks.select_related("run").order_by("-day", "-id").first()


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
