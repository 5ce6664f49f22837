"""Where a new customer starts its lifecycle, by tier and how long it has been a customer (pure).

Onboarding lasts a tier's onboarding window: 90 days for enterprise and strategic accounts (seed
000's 30/60/90-day expectations, which the onboarding plan follows) and 60 days for community ones
(their lighter path ends at week 8). An account imported from a CRM as a customer of two years is
past onboarding; it starts in adoption, as if it had left onboarding when its window ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from retain.accounts.choices import Stage, Tier

ONBOARDING_WINDOW_DAYS = {Tier.COMMUNITY: 60, Tier.ENTERPRISE: 90, Tier.STRATEGIC: 90}


@dataclass(frozen=True)
class InitialStage:
    stage: str
    entered_on: dt.date
    rule: str  # why, in words, for the timeline ("" when there is nothing to say)


def onboarding_window_days(tier: str) -> int:
    return ONBOARDING_WINDOW_DAYS.get(tier, ONBOARDING_WINDOW_DAYS[Tier.ENTERPRISE])  # type: ignore[call-overload]  # a Tier value is a str key


def initial_stage(tier: str, customer_since: dt.date | None, today: dt.date) -> InitialStage:
    window = onboarding_window_days(tier)
    if customer_since is None:
        return InitialStage(Stage.ONBOARDING, today, "")
    if customer_since > today:
        return InitialStage(Stage.ONBOARDING, today, f"a customer from {customer_since}")
    age = (today - customer_since).days
    if age <= window:
        return InitialStage(
            Stage.ONBOARDING,
            customer_since,
            f"a customer since {customer_since} ({age} days, within the {window}-day onboarding window)",
        )
    return InitialStage(
        Stage.ADOPTION,
        customer_since + dt.timedelta(days=window),
        f"a customer since {customer_since} ({age:,} days, past the {window}-day onboarding window)",
    )


def not_scored_reason(
    *,
    tier: str,
    start: dt.date | None,
    has_subscription: bool,
    has_revenue: bool,
    day: dt.date,
    from_unknown_group: bool = False,
) -> str:
    """Why an account is not health-scored on `day` yet, or "" when it is scored.

    A health score judges how a paying customer uses what it bought against what an established
    customer does. An account that pays nothing yet, or is still inside its tier's onboarding
    window, would be judged against a baseline it cannot have reached: it scored red in the trial
    and started risk reviews for customers that were fine. `start` is when it became a customer
    (its customer-since date, else its first subscription's start, else its creation).
    """
    if not has_subscription:
        return "created by a group call with an unknown groupId" if from_unknown_group else "no active subscription"
    if not has_revenue:
        return "no revenue yet"
    window = onboarding_window_days(tier)
    if start is not None and (day - start).days < window:
        age = max((day - start).days, 0)
        return f"in its onboarding window (day {age} of {window})"
    return ""
