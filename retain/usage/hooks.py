"""Work that apps built on usage do with what usage stores, registered at start-up.

`usage` sits below `surveys`, `health` and `journeys` in the import order (docs/architecture.md)
and never imports them. They register here from their `AppConfig.ready`:

- an event handler takes the events of its kind that an ingest request has just stored (an
  `NPS Submitted` event is a survey answer), inside the request's last transaction;
- a fold handler takes the accounts a fold touched (health re-scores them, journeys complete the
  milestones the new usage proves). The fold is committed already: a failing handler is logged and
  the next handler still runs; the nightly jobs cover the same accounts again.

Handlers run in the order their apps are installed (`INSTALLED_APPS`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retain.tenancy.models import Workspace
    from retain.usage.events import Event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventHandler:
    """`wants(event)` picks the events; `record(workspace, events)` is given those newly stored."""

    name: str
    wants: Callable[[Event], bool]
    record: Callable[[Workspace, Sequence[Event]], object]


FoldHandler = Callable[["Workspace", list[int]], None]

_EVENT_HANDLERS: dict[str, EventHandler] = {}
_FOLD_HANDLERS: dict[str, FoldHandler] = {}


def event_handler_register(handler: EventHandler) -> None:
    _EVENT_HANDLERS[handler.name] = handler


def event_handlers() -> list[EventHandler]:
    return list(_EVENT_HANDLERS.values())


def fold_handler_register(name: str, handler: FoldHandler) -> None:
    """`handler(workspace, account_ids)` runs after each fold that touched these accounts."""
    _FOLD_HANDLERS[name] = handler


def folded(workspace: Workspace, account_ids: list[int]) -> None:
    for name, handler in _FOLD_HANDLERS.items():
        try:
            handler(workspace, account_ids)
        except Exception:
            log.exception("%s after the usage fold failed in %s", name, workspace.slug)
