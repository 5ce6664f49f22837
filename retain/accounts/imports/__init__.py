"""CSV import of accounts, contacts and subscriptions from a CRM export (HubSpot, Salesforce, ours).

One call, `csv_import`, reads the file, checks every row, then writes through accounts.services in
one transaction: all or nothing by default, the good rows only with `allow_partial` (each row in
its own savepoint), nothing with `dry_run` (the writes run and are rolled back, so a dry run finds
everything a real run would). Rows match on their external id, so importing a file twice leaves the
same rows and writes no timeline entries the second time. Every run, refused ones included, leaves
an ImportRun row with its counts and its report of problems by line and column.

    reading.py  bytes → header and rows (encoding, delimiter)
    values.py   cell text → money, counts, dates, choices, domains
    columns.py  header aliases per kind (ours, HubSpot's, Salesforce's)
    kinds.py    rows → records through the services, per kind
    streams.py  kinds read as a stream of independent rows (product event history, from usage)
    background.py  every kind as a background job: stored upload, checkpointed chunks, resume
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from retain.accounts.choices import ImportStatus
from retain.accounts.imports.kinds import CREATED, KINDS, UNCHANGED, UPDATED
from retain.accounts.imports.problems import FileRefused, Problem
from retain.accounts.imports.reading import read_table
from retain.accounts.imports.streams import STREAM_KINDS
from retain.accounts.models import ImportRun
from retain.tenancy.models import Member, Workspace

# A file with every row bad still gets a readable report; the counts say how many there were.
MAX_STORED_PROBLEMS = 500

__all__ = [
    "KINDS",
    "STREAM_KINDS",
    "ImportResult",
    "Problem",
    "csv_import",
    "run_counts",
    "run_problems",
    "run_summary",
]


@dataclass
class ImportResult:
    run: ImportRun
    problems: list[Problem]
    ignored_columns: list[str] = field(default_factory=list)


def _size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


def _read_limited(source: BinaryIO, limit: int) -> bytes:
    data = source.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(
            [Problem(0, "", f"the file is over the import size limit of {_size_words(limit)} (IMPORT_MAX_BYTES)")]
        )
    return data


def csv_import(
    *,
    workspace: Workspace,
    actor: Member | None,
    kind: str,
    filename: str,
    source: BinaryIO,
    dry_run: bool = False,
    allow_partial: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import one CSV file of `kind` (accounts, contacts or subscriptions) into the workspace.

    `progress(done, total)` is called as rows are written, for a progress bar.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    counts: Counter[str] = Counter()
    problems: list[Problem] = []
    ignored: list[str] = []
    rows_total = 0
    try:
        table = read_table(_read_limited(source, settings.IMPORT_MAX_BYTES))
        rows_total = len(table.rows)
        importer = KINDS[kind](workspace=workspace, actor=actor, headers=table.headers)
        ignored = importer.columns.ignored
        drafts, problems = importer.parse(table)
        if not problems or allow_partial:
            with transaction.atomic():
                for done, draft in enumerate(drafts, start=1):
                    try:
                        with transaction.atomic():
                            counts[importer.apply(draft)] += 1
                    except ValidationError as exc:
                        problems.extend(importer.problems_from(draft.line, exc))
                    except IntegrityError:
                        # Another writer took the same external id or e-mail between check and write.
                        problems.append(Problem(draft.line, "", "conflicts with a record written meanwhile: retry"))
                    if progress is not None:
                        progress(done, len(drafts))
                if dry_run or (problems and not allow_partial):
                    transaction.set_rollback(True)
    except FileRefused as refused:
        problems = refused.problems
    problems.sort(key=lambda p: p.line)
    if problems and not allow_partial:
        counts.clear()
    written = counts[CREATED] + counts[UPDATED] + counts[UNCHANGED]
    if dry_run:
        status = ImportStatus.DRY_RUN
    elif not problems:
        status = ImportStatus.APPLIED
    elif written:
        status = ImportStatus.PARTIAL
    else:
        status = ImportStatus.REFUSED
    stored = [p.as_dict() for p in problems[:MAX_STORED_PROBLEMS]]
    if len(problems) > MAX_STORED_PROBLEMS:
        stored.append({"line": 0, "column": "", "message": f"and {len(problems) - MAX_STORED_PROBLEMS} more problems"})
    run = ImportRun.objects.create(
        workspace=workspace,
        kind=kind,
        filename=filename[:255],
        status=status,
        created_by=actor,
        rows_total=rows_total,
        rows_created=counts[CREATED],
        rows_updated=counts[UPDATED],
        rows_unchanged=counts[UNCHANGED],
        rows_rejected=len({p.line for p in problems if p.line > 1}),
        errors=stored,
        ignored_columns=ignored,
    )
    return ImportResult(run=run, problems=problems, ignored_columns=ignored)


def run_problems(run: ImportRun) -> list[str]:
    """The run's report as `FILE:LINE:COLUMN: message` lines."""
    return [Problem(int(e["line"]), str(e["column"]), str(e["message"])).format(run.filename) for e in run.errors]


def run_counts(run: ImportRun) -> str:
    """The run's counts in its kind's words ("3 created, 1 updated, …"; "3 accepted, 1 duplicates, …")."""
    stream = STREAM_KINDS.get(run.kind)
    if stream is not None:
        return (
            f"{run.rows_created} {stream.created_word}, {run.rows_unchanged} {stream.unchanged_word}, "
            f"{run.rows_rejected} rejected"
        )
    return (
        f"{run.rows_created} created, {run.rows_updated} updated, {run.rows_unchanged} unchanged, "
        f"{run.rows_rejected} rejected"
    )


def run_summary(run: ImportRun) -> str:
    counts = f"{run.rows_total} rows: {run_counts(run)}"
    if run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        of = f" of {run.rows_to_write}" if run.rows_to_write else ""
        status = ImportStatus(run.status).label.lower()
        if run.kind in STREAM_KINDS:
            return f"{run.filename}: {status}; {run.rows_done}{of} rows read so far: {run_counts(run)}"
        return f"{run.filename}: {status}; {run.rows_done}{of} rows written so far"
    if run.status == ImportStatus.DRY_RUN:
        return f"{run.filename}: dry run, nothing written; {counts}"
    return f"{run.filename}: {ImportStatus(run.status).label.lower()}; {counts}"
