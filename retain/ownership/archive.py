"""The workspace archive: one zip with every owned table as CSV and as JSON Lines, and a manifest.

    manifest.json           what is inside: format, workspace, per table its columns, row count and
                            the SHA-256 of both files, and the migrations the data was written under
    json/<table>.jsonl      one JSON object per row, typed (import reads these)
    csv/<table>.csv         the same rows for a spreadsheet (cells neutralised against formulas)

Tables are named by their model ("accounts.contact"); columns by their database attribute
("account_id"), so a foreign key is the id of the row it points at in the same archive. Rows are in
id order. `users` holds the logins members use: e-mail and names, never a password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import partial
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from retain.lib.csvsafe import write_csv
from retain.ownership.tables import USER_TABLE, owned_tables
from retain.tenancy.models import Member, Workspace

FORMAT = "retain-workspace"
VERSION = 1
MANIFEST = "manifest.json"
USER_COLUMNS = ["id", "email", "first_name", "last_name"]
CHUNK = 2000

Progress = Callable[[str, int], None]


class ArchiveError(ValueError):
    """The file is not a workspace archive Retain can import; the message says what is wrong."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _plain(value)


class _HashingWriter:
    """Bytes to one archive member, counting its SHA-256 on the way."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.target.write(data)


def _member(name: str) -> zipfile.ZipInfo:
    """An archive member stamped with the time of the export (zipfile's default is 1980)."""
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _write_table(
    zf: zipfile.ZipFile, name: str, columns: list[str], rows: Iterator[tuple[Any, ...]], on_row: Callable[[], None]
) -> dict[str, Any]:
    """JSON Lines straight into the zip; the CSV copy goes to a spool file first (one open member at a time)."""
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+b") as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        write_csv([columns], text)
        with zf.open(_member(f"json/{name}.jsonl"), "w", force_zip64=True) as raw:
            out = _HashingWriter(raw)
            for row in rows:
                out.write(json.dumps(dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False).encode())
                out.write(b"\n")
                write_csv([map(_cell, row)], text)
                count += 1
                on_row()
        text.flush()
        text.detach()
        spool.seek(0)
        csv_digest = hashlib.sha256()
        with zf.open(_member(f"csv/{name}.csv"), "w", force_zip64=True) as raw:
            for block in iter(lambda: spool.read(1 << 20), b""):
                csv_digest.update(block)
                raw.write(block)
    return {
        "name": name,
        "rows": count,
        "columns": columns,
        "json": f"json/{name}.jsonl",
        "csv": f"csv/{name}.csv",
        "sha256": {"json": out.digest.hexdigest(), "csv": csv_digest.hexdigest()},
    }


def write_archive(workspace: Workspace, out: IO[bytes], progress: Progress | None = None) -> dict[str, Any]:
    """Write every row the workspace owns to `out`; returns the manifest."""
    tick = progress or (lambda table, rows: None)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "workspace": {"id": workspace.pk, "slug": workspace.slug, "name": workspace.name},
        "migrations": _migrations(),
        "tables": [],
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        users = (
            get_user_model()
            .objects.filter(pk__in=Member.objects.filter(workspace=workspace).values("user_id"))
            .order_by("pk")
            .values_list(*USER_COLUMNS)
        )
        manifest["tables"].append(_write_table(zf, USER_TABLE, USER_COLUMNS, iter(users), lambda: tick(USER_TABLE, 1)))
        for spec in owned_tables():
            rows = spec.rows_of(workspace.pk).order_by("pk").values_list(*spec.column_names)
            label = spec.label
            manifest["tables"].append(
                _write_table(zf, label, spec.column_names, rows.iterator(chunk_size=CHUNK), partial(tick, label, 1))
            )
        zf.writestr(_member(MANIFEST), json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def _migrations() -> dict[str, list[str]]:
    """The latest migrations of each app in this code: the shape the rows were written in."""
    latest: dict[str, list[str]] = {}
    for app, name in sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()):
        latest.setdefault(app, []).append(name)
    return latest


class Archive:
    """A workspace archive opened for reading, its manifest checked and every member's SHA-256 verified."""

    def __init__(self, source: IO[bytes]) -> None:
        try:
            self.zf = zipfile.ZipFile(source)
            manifest = json.loads(self.zf.read(MANIFEST))
        except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"not a workspace archive ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError(f"{MANIFEST}: format is not {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise ArchiveError(
                f"{MANIFEST}: version {manifest.get('version')!r} cannot be read (this Retain reads {VERSION})"
            )
        self.manifest = manifest
        self.tables: dict[str, dict[str, Any]] = {}
        for entry in manifest.get("tables", []):
            self.tables[entry["name"]] = entry
            for kind in ("json", "csv"):
                self._verify(entry[kind], entry["sha256"][kind])

    def _verify(self, member: str, expected: str) -> None:
        digest = hashlib.sha256()
        try:
            with self.zf.open(member) as raw:
                for block in iter(lambda: raw.read(1 << 20), b""):
                    digest.update(block)
        except KeyError:
            raise ArchiveError(f"{member}: listed in the manifest but missing from the archive") from None
        if digest.hexdigest() != expected:
            raise ArchiveError(f"{member}: SHA-256 does not match the manifest (the file was changed or damaged)")

    def rows(self, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, row) for every row of a table; a table the archive lacks has none."""
        entry = self.tables.get(name)
        if entry is None:
            return
        with self.zf.open(entry["json"]) as raw:
            for number, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ArchiveError(f"{entry['json']}, line {number}, column {exc.colno}: {exc.msg}") from None
                if not isinstance(row, dict):
                    raise ArchiveError(f"{entry['json']}, line {number}: a row must be a JSON object")
                yield number, row

    def close(self) -> None:
        self.zf.close()
