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
    from retain.accounts.models import Account, Touchpoint
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


OwnerChangeHandler = Callable[[list[int], "Member | None", "Member | None"], object]
TouchpointHandler = Callable[["Touchpoint", "Member | None"], object]

_OWNER_CHANGED: list[OwnerChangeHandler] = []
_TOUCHPOINT_LOGGED: list[TouchpointHandler] = []


def owner_change_handler_register(handler: OwnerChangeHandler) -> None:
    """`handler(account_ids, new_owner, actor)` runs when accounts got a new owner (an edit, a book
    moved, an assignment run): the team app tells the new owner."""
    if handler not in _OWNER_CHANGED:
        _OWNER_CHANGED.append(handler)


def owner_changed(account_ids: list[int], new_owner: Member | None, actor: Member | None) -> None:
    if not account_ids:
        return
    for handler in _OWNER_CHANGED:
        handler(account_ids, new_owner, actor)


def touchpoint_handler_register(handler: TouchpointHandler) -> None:
    """`handler(touchpoint, actor)` runs when a touchpoint or note is logged, after its timeline
    entry: the team app tells the members it @mentions."""
    if handler not in _TOUCHPOINT_LOGGED:
        _TOUCHPOINT_LOGGED.append(handler)


def touchpoint_logged(touchpoint: Touchpoint, actor: Member | None) -> None:
    for handler in _TOUCHPOINT_LOGGED:
        handler(touchpoint, actor)
