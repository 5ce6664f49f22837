"""Calendar days in a workspace's time zone; stored instants are always UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from dateutil.relativedelta import relativedelta


def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_day(instant: dt.datetime, tz_name: str) -> dt.date:
    """The calendar day an instant falls on in the given time zone."""
    if instant.tzinfo is None:
        raise ValueError("local_day needs an aware datetime")
    return instant.astimezone(zone(tz_name)).date()


def today_in(tz_name: str, now: dt.datetime | None = None) -> dt.date:
    return local_day(now or dt.datetime.now(dt.UTC), tz_name)


def start_of_day(day: dt.date, tz_name: str) -> dt.datetime:
    """The aware instant a calendar day begins in the given time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone(tz_name))


def days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return day + relativedelta(months=months)
