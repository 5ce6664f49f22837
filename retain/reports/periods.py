"""Review periods: calendar quarters named like "2026Q4" (pure: no Django).

A quarterly business review looks at one calendar quarter. The name is the key a review is stored
under and what a person types on the command line; a bad one is refused with what was expected.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

NAME = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def name(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        following = self.following()
        return following.start - dt.timedelta(days=1)

    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return self.name


def parse(text: str) -> Quarter:
    """ "2026Q4" → Quarter(2026, 4); ValueError saying what a period looks like otherwise."""
    found = NAME.match((text or "").strip().upper())
    if not found:
        raise ValueError(f"a period is a year and a quarter, like 2026Q4 (got {text!r})")
    return Quarter(int(found.group(1)), int(found.group(2)))


def quarter_of(day: dt.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)
