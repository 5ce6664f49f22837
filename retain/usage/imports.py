"""The "history" import kind: product events from a file, as a background job (accounts.imports).

A file of past events (CSV, JSON Lines or Parquet: usage/history.py) is uploaded on the imports page
or given to `retain import history FILE`; accounts' background runner checks it as a whole, then
stores it CHUNK rows at a time through the ingest hot path, each chunk in one transaction with the
run's checkpoint. Events deduplicate on messageId (or an id hashed from their content, with "now"
fixed at the upload's time), so a chunk written again after a crash adds nothing. Once every row is
in, the workspace's new events are folded into daily usage and the accounts they touched re-scored,
as the minutely fold after ingest does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from itertools import islice
from typing import Any

from retain.accounts.choices import ImportKind
from retain.accounts.imports.problems import Problem
from retain.accounts.imports.streams import STREAM_KINDS, ChunkCounts, StreamImport
from retain.accounts.models import ImportRun
from retain.lib.locks import exclusive
from retain.usage import history
from retain.usage.jobs import fold_workspace


class HistoryImport(StreamImport):
    kind = ImportKind.HISTORY
    suffixes = history.SUFFIXES
    created_word = "accepted"
    unchanged_word = "duplicates"
    noun = "events"
    chunk = history.CHUNK

    def held(self) -> contextlib.AbstractContextManager[None]:
        if self.dry_run:
            return contextlib.nullcontext()
        # One import into a workspace at a time: a second one would fight the first for SQLite's
        # write lock chunk after chunk, and fold the same events twice over. The lock goes with the
        # process holding it (an advisory lock on PostgreSQL, so across machines too).
        return exclusive(f"import-events-{self.workspace.pk}")

    @property
    def flat(self) -> bool:
        return self.path.suffix.lower() in history.FLAT_SUFFIXES

    def check(self) -> int:
        return history.check_file(self.path)

    def rows(self, start: int) -> Iterator[Any]:
        return islice(history.rows_of(self.path), start, None)

    def write(self, rows: list[Any]) -> ChunkCounts:
        stored = history.events_store(
            workspace=self.workspace, rows=rows, flat=self.flat, received_at=self.run_started, dry_run=self.dry_run
        )
        problems = [Problem(r.index, "", r.reason) for r in stored.rejections]
        return ChunkCounts(created=stored.accepted, unchanged=stored.duplicates, problems=problems)

    def finish(self, run: ImportRun) -> str:
        """Fold the workspace's new events into daily usage now (in short transactions), then re-score."""
        if not run.rows_created:
            return ""
        result = fold_workspace(self.workspace)
        events, accounts = result.events_folded, len(result.account_ids)
        return (
            f"folded {events} event{'' if events == 1 else 's'} into the daily usage "
            f"of {accounts} account{'' if accounts == 1 else 's'}"
        )


STREAM_KINDS[HistoryImport.kind] = HistoryImport
