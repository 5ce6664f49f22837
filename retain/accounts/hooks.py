"""Work that apps built on accounts do when something happens to an account.

`accounts` sits low in the import order (docs/architecture.md) and never imports the apps above it.
An app that must act on an account event registers a handler here from its `AppConfig.ready`;
accounts calls the handlers in the order they registered, inside the caller's transaction, so a
handler that fails undoes the event too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retain.accounts.models import Account
    from retain.tenancy.models import Member

RenewalWindowHandler = Callable[[list[int]], object]
AccountCreatedHandler = Callable[["Account", "Member | None"], object]

_RENEWAL_WINDOW_OPENED: list[RenewalWindowHandler] = []
_ACCOUNT_CREATED: list[AccountCreatedHandler] = []


def renewal_window_handler_register(handler: RenewalWindowHandler) -> None:
    """`handler(account_ids)` runs when the renewal window of these accounts' terms opened."""
    if handler not in _RENEWAL_WINDOW_OPENED:
        _RENEWAL_WINDOW_OPENED.append(handler)


def renewal_window_opened(account_ids: list[int]) -> None:
    for handler in _RENEWAL_WINDOW_OPENED:
        handler(account_ids)


def account_created_handler_register(handler: AccountCreatedHandler) -> None:
    """`handler(account, actor)` runs when an account is created (import, API, ingest, a page),
    after its "account created" entry: the team app gives an account without an owner one."""
    if handler not in _ACCOUNT_CREATED:
        _ACCOUNT_CREATED.append(handler)


def account_created(account: Account, actor: Member | None) -> None:
    for handler in _ACCOUNT_CREATED:
        handler(account, actor)
