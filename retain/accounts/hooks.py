"""Work that apps built on accounts do when something happens to an account.

`accounts` sits low in the import order (docs/architecture.md) and never imports the apps above it.
An app that must act on an account event registers a handler here from its `AppConfig.ready`;
accounts calls the handlers in the order they registered, inside the caller's transaction, so a
handler that fails undoes the event too.
"""

from __future__ import annotations

from collections.abc import Callable

RenewalWindowHandler = Callable[[list[int]], object]

_RENEWAL_WINDOW_OPENED: list[RenewalWindowHandler] = []


def renewal_window_handler_register(handler: RenewalWindowHandler) -> None:
    """`handler(account_ids)` runs when the renewal window of these accounts' terms opened."""
    if handler not in _RENEWAL_WINDOW_OPENED:
        _RENEWAL_WINDOW_OPENED.append(handler)


def renewal_window_opened(account_ids: list[int]) -> None:
    for handler in _RENEWAL_WINDOW_OPENED:
        handler(account_ids)
