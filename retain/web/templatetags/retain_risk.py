"""The account page's churn-risk line, read without touching the account view."""

from __future__ import annotations

from typing import Any

from django import template

from retain.accounts.models import Account
from retain.risk import selectors

register = template.Library()


@register.simple_tag
def account_churn_risk(account: Account) -> dict[str, Any] | None:
    """The account's latest score with its reasons labelled, or None when it was never scored."""
    risk = selectors.account_risk(account)
    if risk is None:
        return None
    return {"risk": risk, "reasons": selectors.labelled_reasons(risk.reasons)}
