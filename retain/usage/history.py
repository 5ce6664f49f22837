"""Reading historical events from CSV, JSON Lines or Parquet, with constant memory.

The file is checked as a whole first (`check_file`: format, encoding, an event column, every JSON
line parses), then read row by row (`rows_of`). Rows are validated exactly like calls to the ingest
API (`check_row`: usage.events.check_event), stored in chunks through the same hot path
(`events_store`) and deduplicated on messageId; rows without one get an id hashed from (user,
account, event, timestamp, properties), so importing a file twice adds nothing. The import itself
is a background job (usage/imports.py, accounts.imports.background).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retain.accounts.imports.problems import FileRefused, Problem
from retain.tenancy.models import Workspace
from retain.usage.events import STORED_TYPES, Event, Rejection, check_event
from retain.usage.services import resolve_accounts
from retain.usage.store import insert_events

CHUNK = 5000
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


SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".pq")
FLAT_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
# A broken file is refused with its first problems; reading on only to list more would cost the
# whole file again.
MAX_FILE_PROBLEMS = 20


@dataclass
class Stored:
    """One chunk's outcome: events newly stored, events already there, rows refused."""

    accepted: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


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
    """The file's rows as (line number, row); a file `check_file` passed."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_rows(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl_rows(path)
    return _parquet_rows(path)


def _undecodable(path: Path, encoding: str) -> list[Problem]:
    """Lines that are not text in `encoding`, each placed at the character where it breaks."""
    problems: list[Problem] = []
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                column = len(line[: exc.start].decode(encoding, errors="replace")) + 1
                problems.append(
                    Problem(number, str(column), f"not {encoding.upper()} text (byte 0x{line[exc.start]:02x})")
                )
                if len(problems) >= MAX_FILE_PROBLEMS:
                    break
    return problems


def _has_event_column(headers: list[str]) -> bool:
    return any(COLUMN_ALIASES.get(h.strip().lower().replace(" ", "_")) in ("event", "name") for h in headers)


def _check_csv(path: Path) -> int:
    with path.open("rb") as raw:
        head = raw.read(4)
    # UTF-16 files are rare exports of spreadsheet programs; their decoding errors surface as rows
    # read, UTF-8 ones are placed at their line and column here.
    if head[:2] not in (b"\xff\xfe", b"\xfe\xff") and (problems := _undecodable(path, "utf-8")):
        raise FileRefused(problems)
    rows = _csv_rows(path)
    headers: list[str] = []
    count = 0
    for count, (_number, row) in enumerate(rows, start=1):
        if count == 1:
            headers = [h for h in row if h is not None]
    if count == 0:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            headers = next(csv.reader(handle), [])
    if not _has_event_column(headers):
        named = ", ".join(h for h in headers if h) or "none"
        raise FileRefused([Problem(1, "1", f"no event column (event or event_name); the header names: {named}")])
    return count


def _check_jsonl(path: Path) -> int:
    if problems := _undecodable(path, "utf-8"):
        raise FileRefused(problems)
    count = 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            count += 1
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(number, str(exc.colno), f"not valid JSON: {exc.msg}"))
            else:
                if not isinstance(value, dict):
                    problems.append(Problem(number, "1", "not a JSON object (one call, {...}, a line)"))
            if len(problems) >= MAX_FILE_PROBLEMS:
                break
    if problems:
        raise FileRefused(problems)
    return count


def _check_parquet(path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise FileRefused([Problem(0, "", f"not a Parquet file ({exc})")]) from None
    if not _has_event_column(list(parquet.schema_arrow.names)):
        named = ", ".join(parquet.schema_arrow.names) or "none"
        raise FileRefused([Problem(0, "", f"no event column (event or event_name); the columns: {named}")])
    return int(parquet.metadata.num_rows)


def check_file(path: Path, filename: str | None = None) -> int:
    """The file's number of rows; FileRefused (by line and column) when it cannot be read as a whole."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return _check_csv(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _check_jsonl(path)
    if suffix in (".parquet", ".pq"):
        return _check_parquet(path)
    raise FileRefused([Problem(0, "", f"unknown format {suffix!r} (use .csv, .jsonl or .parquet)")])


def check_row(number: int, row: dict[str, Any], flat: bool, received_at: dt.datetime) -> Event | Rejection:
    """A row as the ingest API would take it; `flat` rows (CSV, Parquet) are columns, not calls."""
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


def events_store(
    *, workspace: Workspace, rows: list[tuple[int, dict[str, Any]]], flat: bool, received_at: dt.datetime, dry_run: bool
) -> Stored:
    """Check a chunk of rows and store the good ones, inside the caller's transaction.

    A repeat of an event stored before, in this chunk or earlier (a chunk written again after a
    crash), is a counted duplicate: the store's unique (workspace, messageId) key keeps one row.
    """
    outcome = Stored()
    seen: set[str] = set()
    events: list[Event] = []
    for number, row in rows:
        checked = check_row(number, row, flat, received_at)
        if isinstance(checked, Rejection):
            outcome.rejections.append(checked)
        elif checked.message_id in seen:
            outcome.duplicates += 1
        else:
            seen.add(checked.message_id)
            events.append(checked)
    if dry_run:
        outcome.accepted += len(events)
        return outcome
    stored = insert_events(workspace.pk, None, events, resolve_accounts(workspace.pk, events))
    outcome.accepted += stored.inserted
    outcome.duplicates += stored.duplicates
    return outcome
