"""Imports of files too big to hold, read as a stream of independent rows: the kinds beside KINDS.

A TableImport (kinds.py) reads the whole file, checks every row, then writes the records; its rows
refer to each other (a contact names an account of the same file). A StreamImport's rows stand
alone (one product event each), and its files run to millions of rows, so:

    check()       reads the file once as a whole (format, encoding, header, every line parses):
                  a broken file is refused with FILE:LINE:COLUMN before anything is written
    rows(start)   reads it again from row `start` on, never holding more than a chunk
    write(rows)   stores one chunk inside the runner's transaction, which also commits the
                  checkpoint; a row the kind cannot take is counted and reported, the others are
                  written (as the ingest API does with a batch)
    finish(run)   runs once every row is in (outside any transaction), returning a note for the run

`background.import_process` runs both families with the same queue, claim, checkpoint, heartbeat,
sweep and pages. A higher app adds a kind with a value in `accounts.choices.ImportKind` and
`STREAM_KINDS[MyImport.kind] = MyImport` in a module its `AppConfig.ready` imports (`usage/imports.py`
registers "history").
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from retain.accounts.imports.problems import Problem
from retain.tenancy.models import Member, Workspace

if TYPE_CHECKING:
    from retain.accounts.models import ImportRun


@dataclass
class ChunkCounts:
    """What one chunk came to: rows newly stored, rows already there, and the rows refused."""

    created: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


class StreamImport:
    kind: ClassVar[str]
    # The file name endings the kind reads; the upload is stored with its own.
    suffixes: ClassVar[tuple[str, ...]]
    # How the run's counts read for this kind (rows_created, rows_unchanged).
    created_word: ClassVar[str] = "created"
    unchanged_word: ClassVar[str] = "unchanged"
    # What the kind imports, for "another … import into workspace … is running".
    noun: ClassVar[str] = "file"
    # Rows written (and committed with the checkpoint) at a time.
    chunk: ClassVar[int] = 500
    # A run keeps the first reasons rows were refused; rows_rejected counts them all.
    first_problems: ClassVar[int] = 20

    def __init__(
        self, *, workspace: Workspace, actor: Member | None, path: Path, run_started: dt.datetime, dry_run: bool
    ) -> None:
        self.workspace = workspace
        self.actor = actor
        self.path = path
        # The time the upload was received: the same on every resume, so anything derived from it
        # (an event without a timestamp happened "when received") comes out the same the second time.
        self.run_started = run_started
        self.dry_run = dry_run

    def held(self) -> contextlib.AbstractContextManager[None]:
        """A lock for the whole run, or lib.locks.Busy when another holds it."""
        return contextlib.nullcontext()

    def check(self) -> int:
        """The number of rows; raises FileRefused when the file cannot be read as a whole."""
        raise NotImplementedError

    def rows(self, start: int) -> Iterator[Any]:
        raise NotImplementedError

    def write(self, rows: list[Any]) -> ChunkCounts:
        raise NotImplementedError

    def finish(self, run: ImportRun) -> str:
        return ""


STREAM_KINDS: dict[str, type[StreamImport]] = {}
