"""Template filters for the customer-success vocabulary: money, days to renewal, days since contact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template

from retain.lib.dates import local_day
from retain.lib.money import format_money

register = template.Library()

DASH = "—"


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    """`{{ account.arr|money:workspace.currency }}` → "$12,000"; nothing known → a dash."""
    if amount is None or amount == "":
        return DASH
    return format_money(Decimal(amount), currency)


@register.filter
def days_until(day: dt.date | None, today: dt.date) -> int | None:
    """Whole days from `today` to `day` (negative when it has passed); None when there is no day."""
    if not day:
        return None
    return (day - today).days


@register.filter
def days_since_day(day: dt.date | None, today: dt.date) -> int | None:
    """Whole days from `day` to `today` (e.g. days in the lifecycle stage); None when there is no day."""
    if not day:
        return None
    return max((today - day).days, 0)


@register.filter
def in_days(days: int | None) -> str:
    """A day count as words: "in 60 days", "today", "3 days ago"."""
    if days is None:
        return DASH
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if days > 0:
        return f"in {days} days"
    return f"{-days} days ago"


@register.filter
def days_since(instant: dt.datetime | None, workspace: Any) -> int | None:
    """Calendar days in the workspace's time zone since an instant (e.g. the last touchpoint)."""
    if instant is None:
        return None
    today = local_day(dt.datetime.now(dt.UTC), workspace.time_zone)
    return (today - local_day(instant, workspace.time_zone)).days


@register.filter
def renewal_band(days: int | None) -> str:
    """A CSS modifier for how close a renewal is: inside 30 days is urgent, inside 90 days is due."""
    if days is None:
        return "none"
    if days < 0:
        return "past"
    if days <= 30:
        return "urgent"
    if days <= 90:
        return "due"
    return "later"


@register.filter
def touch_band(days: int | None) -> str:
    """A CSS modifier for how long the account has gone without a conversation."""
    if days is None or days > 60:
        return "stale"
    if days > 30:
        return "cooling"
    return "fresh"
