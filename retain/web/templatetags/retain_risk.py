"""The account page's churn-risk line and the renewal pages' note on a model below its quality gate,
read without touching those views."""

from __future__ import annotations

from typing import Any

from django import template

from retain.accounts.models import Account
from retain.risk import selectors
from retain.risk.choices import RunStatus
from retain.risk.models import ChurnModelRun
from retain.tenancy.models import Workspace

register = template.Library()


@register.simple_tag
def account_churn_risk(account: Account) -> dict[str, Any] | None:
    """The account's latest usable score with its reasons labelled, or None when no model in use scored it."""
    risk = selectors.account_risk(account)
    if risk is None:
        return None
    return {"risk": risk, "reasons": selectors.labelled_reasons(risk.reasons)}


@register.simple_tag
def churn_model_gated(workspace: Workspace) -> ChurnModelRun | None:
    """The latest trained model when it is below the quality gate (so no account has a usable score)."""
    run = selectors.latest_trained_run(workspace)
    return run if run is not None and run.status == RunStatus.GATED else None
