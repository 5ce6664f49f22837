"""The state the demo steps share: the seed, the planned world, and what has been written so far."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from retain.accounts.models import Account, Contact
from retain.demo.generator.world import World
from retain.lib.dates import start_of_day
from retain.tenancy.models import Member, Workspace

DEMO_SLUG = "demo"
DEMO_PASSWORD = "retain-demo"


@dataclass
class DemoContext:
    seed: int
    size: int
    today: dt.date
    raw_days: int
    world: World
    workspace: Workspace | None = None
    # CSMs by kind, and every member by role; filled by the team step.
    csms: dict[str, list[Member]] = field(default_factory=dict)
    members: dict[str, list[Member]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)  # by external id
    contacts: dict[str, Contact] = field(default_factory=dict)  # by the planned person's key
    counts: dict[str, int] = field(default_factory=dict)
    # First and last day each planned person used the product (they become UsageUser rows).
    seen: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)

    def saw(self, key: str, day: dt.date) -> None:
        first, last = self.seen.get(key, (day, day))
        self.seen[key] = (min(first, day), max(last, day))

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """`hour`:`minute` on `day` in the workspace's time zone, but never after the build's now:
        something planned for later today has not happened yet when the demo is built today."""
        moment = start_of_day(day, self.ws.time_zone) + dt.timedelta(hours=hour, minutes=minute)
        end_of_today = start_of_day(self.today + dt.timedelta(days=1), self.ws.time_zone) - dt.timedelta(seconds=1)
        return min(moment, timezone.now(), end_of_today) if day >= self.today else moment

    def rng(self, *parts: object) -> random.Random:
        """A generator of its own for one step (and one account), so adding a step changes no other."""
        return random.Random(":".join(["demo", str(self.seed), *map(str, parts)]))

    @property
    def ws(self) -> Workspace:
        assert self.workspace is not None, "the team step creates the workspace first"
        return self.workspace


@dataclass(frozen=True)
class Step:
    """One named stage of the build; returns a short line saying what it wrote."""

    name: str
    run: Callable[[DemoContext], str]
