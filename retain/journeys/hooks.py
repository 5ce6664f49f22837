"""Work that apps built on journeys do when an account starts a journey, registered at start-up.

`plans` builds on `journeys` (docs/architecture.md), so journeys never imports it: plans registers
a handler here from its `AppConfig.ready` (a new customer's 30/60/90-day onboarding plan). Handlers
run in the order their apps registered, inside the journey start's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retain.accounts.models import Account

JourneyStartHandler = Callable[["Account", dt.date, dt.date], object]

_JOURNEY_STARTED: list[JourneyStartHandler] = []


def journey_start_handler_register(handler: JourneyStartHandler) -> None:
    """`handler(account, started_on, today)` runs when an account starts a journey."""
    if handler not in _JOURNEY_STARTED:
        _JOURNEY_STARTED.append(handler)


def journey_started(account: Account, started_on: dt.date, today: dt.date) -> None:
    for handler in _JOURNEY_STARTED:
        handler(account, started_on, today)


# Goals a measured milestone compares with (journeys.measured: "leads_to_date ≥ 50% of the lead goal").
# The success plan holds them, and plans sits above journeys: plans registers the provider.
GoalProvider = Callable[[int, list[int] | None], dict[int, dict[str, float]]]

_GOAL_PROVIDERS: list[GoalProvider] = []


def goal_provider_register(provider: GoalProvider) -> None:
    """`provider(workspace_id, account_ids)` gives {account_id: {"leads": 400.0, "sales": 40.0}}."""
    if provider not in _GOAL_PROVIDERS:
        _GOAL_PROVIDERS.append(provider)


def goals_for(workspace_id: int, account_ids: list[int] | None) -> dict[int, dict[str, float]]:
    found: dict[int, dict[str, float]] = {}
    for provider in _GOAL_PROVIDERS:
        for account_id, goals in provider(workspace_id, account_ids).items():
            found.setdefault(account_id, {}).update(goals)
    return found


StageChangeHandler = Callable[["Account", str, str], object]

_STAGE_CHANGED: list[StageChangeHandler] = []


def stage_change_handler_register(handler: StageChangeHandler) -> None:
    """`handler(account, old_stage, new_stage)` runs when `lifecycle_move` moved an account (same
    transaction): the team app hands an onboarding account to its long-term owner."""
    if handler not in _STAGE_CHANGED:
        _STAGE_CHANGED.append(handler)


def stage_changed(account: Account, old: str, new: str) -> None:
    for handler in _STAGE_CHANGED:
        handler(account, old, new)


# Attributes a higher app adds to the data milestones' criteria (the portal: "portal.visits_30d"),
# computed for many accounts at once as of the evaluation day.
AttrProvider = Callable[[int, "list[int] | None", dt.date], dict[int, dict[str, object]]]

_ATTR_PROVIDERS: list[tuple[tuple[str, ...], AttrProvider]] = []


def attr_provider_register(attrs: tuple[str, ...], provider: AttrProvider) -> None:
    """`provider(workspace_id, account_ids or None, day)` gives {account_id: {attr: value}} for
    `attrs`, which milestone criteria may then read (an account left out has no value: false)."""
    if all(registered is not provider for _, registered in _ATTR_PROVIDERS):
        _ATTR_PROVIDERS.append((attrs, provider))


def provided_attrs() -> tuple[str, ...]:
    return tuple(attr for attrs, _ in _ATTR_PROVIDERS for attr in attrs)


def provided_values(
    workspace_id: int, account_ids: list[int] | None, day: dt.date, wanted: set[str]
) -> dict[int, dict[str, object]]:
    """The values of the wanted provided attributes, from the providers that give any of them."""
    found: dict[int, dict[str, object]] = {}
    for attrs, provider in _ATTR_PROVIDERS:
        if not wanted.intersection(attrs):
            continue
        for account_id, values in provider(workspace_id, account_ids, day).items():
            found.setdefault(account_id, {}).update(values)
    return found
