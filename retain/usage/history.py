"""Importing historical events from CSV, JSON Lines or Parquet, streamed with constant memory.

Rows are validated exactly like calls to the ingest API (usage.events.check_event), inserted in
chunks through the same hot path, and deduplicated on messageId; rows without one get an id hashed
from (user, account, event, timestamp, properties), so importing a file twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from retain.tenancy.models import Workspace
from retain.usage.events import STORED_TYPES, Event, Rejection, check_event
from retain.usage.services import resolve_accounts
from retain.usage.store import insert_events

CHUNK = 5000
FIRST_REASONS = 20
COLUMN_ALIASES = {
    "messageid": "messageId",
    "message_id": "messageId",
    "type": "type",
    "event": "event",
    "event_name": "event",
    "name": "name",
    "userid": "userId",
    "user_id": "userId",
    "anonymousid": "anonymousId",
    "anonymous_id": "anonymousId",
    "groupid": "groupId",
    "group_id": "groupId",
    "account_id": "groupId",
    "timestamp": "timestamp",
    "properties": "properties",
}


class HistoryFileError(ValueError):
    """The file as a whole cannot be read (unknown format, missing columns)."""


@dataclass
class HistoryResult:
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    first_reasons: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"rows {self.rows}: accepted {self.accepted}, duplicates {self.duplicates}, rejected {self.rejected}"


def _row_to_call(row: dict[str, Any]) -> dict[str, Any]:
    """A flat row becomes a call: known columns map to fields, the rest become properties."""
    call: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, value in row.items():
        if column is None:
            continue
        target = COLUMN_ALIASES.get(column.strip().lower().replace(" ", "_"))
        if value is None or value == "":
            continue
        if target is None:
            extra[column] = value
        elif target == "properties":
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    value = {"__invalid__": value}
            call["properties"] = value
        elif target == "groupId":
            call["context"] = {"groupId": value}
        else:
            call[target] = value
    if isinstance(call.get("timestamp"), dt.datetime):
        call["timestamp"] = call["timestamp"].isoformat()
    if extra and "properties" not in call:
        call["properties"] = extra
    call.setdefault("type", "track")
    return call


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as raw:
        head = raw.read(4)
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    with path.open(newline="", encoding=encoding) as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        for row in reader:
            yield reader.line_num, row


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"__error__": f"not valid JSON (column {exc.colno}: {exc.msg})"}
                continue
            yield number, value if isinstance(value, dict) else {"__error__": "line is not a JSON object"}


def _parquet_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK):
        for row in batch.to_pylist():
            number += 1
            yield number, row


def rows_of(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_rows(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path)
    if suffix in (".parquet", ".pq"):
        return _parquet_rows(path)
    raise HistoryFileError(f"{path.name}: unknown format {suffix!r} (use .csv, .jsonl or .parquet)")


def _check_row(number: int, row: dict[str, Any], flat: bool, received_at: dt.datetime) -> Event | Rejection:
    if "__error__" in row:
        return Rejection(number, "", row["__error__"])
    # JSON Lines hold calls shaped as Segment sends them; CSV and Parquet rows are flat columns.
    call = _row_to_call(row) if flat else row
    result = check_event(call, index=number, default_type="track", received_at=received_at, sent_at=None)
    if isinstance(result, Event) and result.type not in STORED_TYPES:
        return Rejection(
            number, result.message_id, f"type {result.type!r}: history import takes track, page and screen"
        )
    return result


def import_events(
    *,
    workspace: Workspace,
    path: Path,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    """Stream a file of historical events into the store; each chunk is committed on its own."""
    result = HistoryResult()
    received_at = timezone.now()
    chunk: list[Event] = []

    def flush() -> None:
        if not chunk:
            return
        if dry_run:
            result.accepted += len(chunk)
        else:
            with transaction.atomic():
                stored = insert_events(workspace.pk, None, chunk, resolve_accounts(workspace.pk, chunk))
            result.accepted += stored.inserted
            result.duplicates += stored.duplicates
        if progress:
            progress(len(chunk))
        chunk.clear()

    seen: set[str] = set()
    flat = path.suffix.lower() not in (".jsonl", ".ndjson", ".json")
    for number, row in rows_of(path):
        result.rows += 1
        checked = _check_row(number, row, flat, received_at)
        if isinstance(checked, Rejection):
            result.rejected += 1
            if len(result.first_reasons) < FIRST_REASONS:
                result.first_reasons.append(f"{path.name}:{number}: {checked.reason}")
            continue
        if checked.message_id in seen:
            result.duplicates += 1
            continue
        seen.add(checked.message_id)
        chunk.append(checked)
        if len(chunk) >= CHUNK:
            flush()
            # Duplicates across chunks are caught by the store's unique key; the set only
            # catches repeats within a chunk, so it is emptied to keep memory constant.
            seen.clear()
    flush()
    return result
