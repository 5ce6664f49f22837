"""Work that apps built on health do when accounts change band, registered at start-up.

`health` never imports the apps above it (docs/architecture.md): the team app registers a handler
here from its `AppConfig.ready` to tell an account's owner it turned red. Handlers run inside the
re-score's transaction, after the band-change entries are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# (account_id, new band, previous band) per account that changed band on `day`.
BandChange = tuple[int, str, str]
BandChangeHandler = Callable[[int, dt.date, list[BandChange]], object]

_BAND_CHANGED: list[BandChangeHandler] = []


def band_change_handler_register(handler: BandChangeHandler) -> None:
    """`handler(workspace_id, day, changes)` runs when a re-score moved accounts between bands."""
    if handler not in _BAND_CHANGED:
        _BAND_CHANGED.append(handler)


def bands_changed(workspace_id: int, day: dt.date, changes: list[BandChange]) -> None:
    if not changes:
        return
    for handler in _BAND_CHANGED:
        handler(workspace_id, day, changes)
