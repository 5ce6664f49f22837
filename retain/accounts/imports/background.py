"""Imports as background jobs: the upload is stored, a worker writes it in checkpointed chunks.

    import_enqueue   the web request (or the CLI): store the file under DATA_DIR/imports, create the
                     ImportRun (status queued) and hand its id to a worker once the row is committed
    import_process   the worker: read and check every row first (a file with bad rows is refused
                     whole unless partial imports were asked for, exactly like a direct import),
                     then write the rows CHUNK at a time. Each chunk's rows, its counts and the
                     checkpoint `rows_done` commit in one transaction, so a worker killed mid-chunk
                     loses only the uncommitted chunk, and the next worker starts after the last
                     committed one: no row is written twice and none is skipped
    imports_resume   the periodic sweep: queued runs no worker picked up, and running ones whose
                     worker stopped sending heartbeats, are handed to a worker again

Rows are checked before any is written, so a default (all-or-nothing) import that a worker begins
writing has no bad row left; what could still refuse a row at write time (a record written by
someone else meanwhile) is reported on that row and the run ends "applied in part". A dry run is
written and rolled back in one transaction, as before, and simply starts again after a crash.

Stream kinds (streams.py: product event history) go through the same queue, claim, sweep and
pages; their worker checks the file as a whole, then reads and writes it a chunk at a time from the
checkpoint without holding the file in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from retain.accounts.choices import ImportStatus
from retain.accounts.imports.kinds import CREATED, KINDS, UNCHANGED, UPDATED, Draft, TableImport
from retain.accounts.imports.problems import FileRefused, Problem
from retain.accounts.imports.reading import read_table
from retain.accounts.imports.streams import STREAM_KINDS, StreamImport
from retain.accounts.models import ImportRun
from retain.lib.locks import Busy
from retain.tenancy.models import Member, Workspace

log = logging.getLogger(__name__)

CHUNK = 500
# A running import whose worker wrote no chunk for this long is taken to be dead and resumed.
STALE_AFTER = dt.timedelta(minutes=5)
# A queued import no worker has picked up for this long is handed to a worker again.
QUEUED_AFTER = dt.timedelta(minutes=1)
MAX_STORED_PROBLEMS = 500
DONE = (ImportStatus.APPLIED, ImportStatus.PARTIAL, ImportStatus.REFUSED, ImportStatus.DRY_RUN, ImportStatus.FAILED)

Progress = Callable[[int, int], None]


def import_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def _limit_words(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _dispatch(run_id: int) -> None:
    from retain.accounts.jobs import process_import  # the task module imports this one

    process_import.delay(run_id)


def import_enqueue(
    *,
    workspace: Workspace,
    actor: Member | None,
    kind: str,
    filename: str,
    source: BinaryIO,
    dry_run: bool = False,
    allow_partial: bool = False,
    dispatch: bool = True,
    max_bytes: int | None = None,
) -> ImportRun:
    """Store the upload and queue its import; returns the queued run (or a refused one when too big).

    `dispatch` False leaves the run queued for the caller to process (the CLI does it in-process).
    `max_bytes` defaults to IMPORT_MAX_BYTES; the CLI lifts it for history files already on the server.
    """
    if kind not in KINDS and kind not in STREAM_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    folder = import_dir() / str(workspace.pk)
    folder.mkdir(parents=True, exist_ok=True)
    # A stream kind reads the format from the name's ending (events.jsonl, events.parquet).
    suffix = Path(filename).suffix.lower() if kind in STREAM_KINDS else ".csv"
    target = folder / f"{uuid.uuid4().hex}{suffix[:12]}"
    limit = settings.IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    with target.open("wb") as out:
        copied = 0
        while block := source.read(1024 * 1024):
            copied += len(block)
            if copied > limit:
                break
            out.write(block)
    common = {"workspace": workspace, "kind": kind, "filename": filename[:255], "created_by": actor}
    if copied > limit:
        target.unlink(missing_ok=True)
        message = f"the file is over the import size limit of {_limit_words(limit)} (IMPORT_MAX_BYTES)"
        return ImportRun.objects.create(
            **common,
            status=ImportStatus.REFUSED,
            errors=[Problem(0, "", message).as_dict()],
            finished_at=timezone.now(),
        )
    run = ImportRun.objects.create(
        **common,
        status=ImportStatus.QUEUED,
        stored_file=str(target.relative_to(import_dir())),
        dry_run=dry_run,
        allow_partial=allow_partial,
    )
    if dispatch:
        transaction.on_commit(lambda: _dispatch(run.pk))
    return run


def _stored(problems: list[Problem]) -> list[dict[str, object]]:
    problems = sorted(problems, key=lambda p: p.line)
    stored = [p.as_dict() for p in problems[:MAX_STORED_PROBLEMS]]
    if len(problems) > MAX_STORED_PROBLEMS:
        stored.append({"line": 0, "column": "", "message": f"and {len(problems) - MAX_STORED_PROBLEMS} more problems"})
    return stored


def _rejected(errors: list[dict[str, object]]) -> int:
    return len({int(str(e["line"])) for e in errors if int(str(e["line"])) > 1})


def _finish(run: ImportRun, status: str, **fields: object) -> ImportRun:
    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, heartbeat_at=now, **fields)
    if run.stored_file:
        (import_dir() / run.stored_file).unlink(missing_ok=True)
    run.refresh_from_db()
    return run


def _claim(run_id: int) -> ImportRun | None:
    """Mark the run running (a resumed run keeps its checkpoint); None when it is finished already."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in DONE:
            return None
        now = timezone.now()
        run.status = ImportStatus.RUNNING
        run.started_at = run.started_at or now
        run.heartbeat_at = now
        run.save(update_fields=["status", "started_at", "heartbeat_at"])
        return run


def _write(importer: TableImport, draft: Draft, counts: Counter[str], problems: list[Problem]) -> None:
    try:
        with transaction.atomic():
            counts[importer.apply(draft)] += 1
    except ValidationError as exc:
        problems.extend(importer.problems_from(draft.line, exc))
    except IntegrityError:
        problems.append(Problem(draft.line, "", "conflicts with a record written meanwhile: retry"))


def import_process(
    run_id: int, *, chunk: int | None = None, progress: Progress | None = None, wait_if_busy: bool = True
) -> ImportRun | None:
    """Write a queued (or interrupted) import, resuming after its last committed chunk.

    Returns the finished run, or None when there was nothing to do (finished already, gone, or, for
    a kind that takes a lock, left queued while another import holds it: `wait_if_busy` False
    refuses the run instead, as the CLI does).
    """
    kind = ImportRun.objects.filter(pk=run_id).values_list("kind", flat=True).first()
    if kind in STREAM_KINDS:
        return _stream_process(run_id, chunk=chunk or STREAM_KINDS[kind].chunk, progress=progress, wait=wait_if_busy)
    chunk = chunk or CHUNK
    run = _claim(run_id)
    if run is None:
        return None
    path = import_dir() / run.stored_file
    try:
        data = path.read_bytes()
    except OSError:
        return _finish(
            run, ImportStatus.FAILED, errors=[Problem(0, "", "the uploaded file is gone: upload it again").as_dict()]
        )
    actor = run.created_by
    try:
        table = read_table(data)
    except FileRefused as refused:
        return _finish(run, ImportStatus.REFUSED, errors=_stored(refused.problems))
    importer = KINDS[run.kind](workspace=run.workspace, actor=actor, headers=table.headers)
    drafts, problems = importer.parse(table)
    ImportRun.objects.filter(pk=run.pk).update(
        rows_total=len(table.rows), rows_to_write=len(drafts), ignored_columns=importer.columns.ignored
    )
    if problems and not run.allow_partial:
        return _finish(
            run,
            ImportStatus.DRY_RUN if run.dry_run else ImportStatus.REFUSED,
            errors=_stored(problems),
            rows_rejected=len({p.line for p in problems if p.line > 1}),
        )
    if run.dry_run:
        return _dry_run(run, importer, drafts, problems, progress)
    if run.rows_done == 0:
        # The rows' own problems (partial imports only); deterministic, so a resumed run writing them again is harmless.
        ImportRun.objects.filter(pk=run.pk).update(
            errors=_stored(problems), rows_rejected=len({p.line for p in problems if p.line > 1})
        )
    while True:
        with transaction.atomic():
            # The checkpoint is read under the row lock (SQLite: the write lock taken at BEGIN), so a
            # second worker on the same run continues where the first committed, never alongside it.
            current = ImportRun.objects.select_for_update().get(pk=run.pk)
            start = current.rows_done
            if start >= len(drafts) or current.status in DONE:
                break
            counts: Counter[str] = Counter()
            written_problems: list[Problem] = []
            batch = drafts[start : start + chunk]
            for draft in batch:
                _write(importer, draft, counts, written_problems)
            errors = list(current.errors)
            if written_problems:
                errors = errors + _stored(written_problems)
            ImportRun.objects.filter(pk=run.pk).update(
                rows_done=start + len(batch),
                rows_created=current.rows_created + counts[CREATED],
                rows_updated=current.rows_updated + counts[UPDATED],
                rows_unchanged=current.rows_unchanged + counts[UNCHANGED],
                errors=errors,
                rows_rejected=_rejected(errors),
                heartbeat_at=timezone.now(),
            )
        if progress is not None:
            progress(start + len(batch), len(drafts))
    run.refresh_from_db()
    if run.status in DONE:
        return run
    written = run.rows_created + run.rows_updated + run.rows_unchanged
    if not run.errors:
        status = ImportStatus.APPLIED
    elif written:
        status = ImportStatus.PARTIAL
    else:
        status = ImportStatus.REFUSED
    return _finish(run, status)


def _dry_run(
    run: ImportRun, importer: TableImport, drafts: list[Draft], problems: list[Problem], progress: Progress | None
) -> ImportRun:
    counts: Counter[str] = Counter()
    with transaction.atomic():
        for done, draft in enumerate(drafts, start=1):
            _write(importer, draft, counts, problems)
            if progress is not None:
                progress(done, len(drafts))
        transaction.set_rollback(True)
    return _finish(
        run,
        ImportStatus.DRY_RUN,
        rows_done=len(drafts),
        rows_created=counts[CREATED],
        rows_updated=counts[UPDATED],
        rows_unchanged=counts[UNCHANGED],
        errors=_stored(problems),
        rows_rejected=len({p.line for p in problems if p.line > 1}),
    )


def _stream_process(run_id: int, *, chunk: int, progress: Progress | None, wait: bool) -> ImportRun | None:
    run = ImportRun.objects.select_related("workspace", "created_by").filter(pk=run_id).first()
    if run is None or run.status in DONE:
        return None
    importer = STREAM_KINDS[run.kind](
        workspace=run.workspace,
        actor=run.created_by,
        path=import_dir() / run.stored_file,
        run_started=run.created_at,
        dry_run=run.dry_run,
    )
    try:
        with importer.held():
            return _stream_held(run.pk, importer, chunk, progress)
    except Busy as exc:
        message = (
            f"another {importer.noun} import into workspace {run.workspace.slug!r} is running ({exc}); "
            "nothing was written: import again once it has finished"
        )
        if not wait and run.status == ImportStatus.QUEUED and not run.rows_done:
            return _finish(run, ImportStatus.REFUSED, errors=[Problem(0, "", message).as_dict()])
        # Left queued: the sweep hands it out again once STALE_AFTER has passed since now.
        log.info("import %s waits: %s", run.pk, message)
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.QUEUED).update(heartbeat_at=timezone.now())
        return None


def _stream_held(run_id: int, importer: StreamImport, chunk: int, progress: Progress | None) -> ImportRun | None:
    run = _claim(run_id)
    if run is None:
        return None
    if not importer.path.is_file():
        return _finish(
            run, ImportStatus.FAILED, errors=[Problem(0, "", "the uploaded file is gone: upload it again").as_dict()]
        )
    try:
        total = importer.check()
    except FileRefused as refused:
        return _finish(run, ImportStatus.REFUSED, errors=_stored(refused.problems))
    ImportRun.objects.filter(pk=run.pk).update(rows_total=total, rows_to_write=total)
    position = run.rows_done
    rows = importer.rows(position)
    while batch := list(islice(rows, chunk)):
        with transaction.atomic():
            # The checkpoint under the run's row lock: a second worker on the same run that got
            # here first has moved it, and this one leaves the run to it.
            current = ImportRun.objects.select_for_update().get(pk=run.pk)
            if current.rows_done != position or current.status in DONE:
                return None
            counts = importer.write(batch)
            room = importer.first_problems - len(current.errors)
            errors = list(current.errors) + [p.as_dict() for p in counts.problems[: max(room, 0)]]
            ImportRun.objects.filter(pk=run.pk).update(
                rows_done=position + len(batch),
                rows_created=current.rows_created + counts.created,
                rows_unchanged=current.rows_unchanged + counts.unchanged,
                rows_rejected=current.rows_rejected + len(counts.problems),
                errors=errors,
                heartbeat_at=timezone.now(),
            )
        position += len(batch)
        if progress is not None:
            progress(position, total)
    run.refresh_from_db()
    note = "" if run.dry_run else importer.finish(run)
    if run.dry_run:
        status = ImportStatus.DRY_RUN
    elif not run.rows_rejected:
        status = ImportStatus.APPLIED
    elif run.rows_created + run.rows_unchanged:
        status = ImportStatus.PARTIAL
    else:
        status = ImportStatus.REFUSED
    return _finish(run, status, note=note[:300])


def imports_resume(now: dt.datetime | None = None) -> list[int]:
    """Hand stalled imports to a worker again: queued ones nobody took, running ones whose worker died."""
    now = now or timezone.now()
    stale = now - STALE_AFTER
    # A queued run is handed out again a minute after its upload, then every STALE_AFTER (the
    # heartbeat records each hand-out), so a long broker queue does not fill with copies.
    queued = ImportRun.objects.filter(status=ImportStatus.QUEUED).filter(
        Q(heartbeat_at__isnull=True, created_at__lt=now - QUEUED_AFTER) | Q(heartbeat_at__lt=stale)
    )
    stalled = ImportRun.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=stale)
    ids = sorted({*queued.values_list("pk", flat=True), *stalled.values_list("pk", flat=True)})
    ImportRun.objects.filter(pk__in=ids).update(heartbeat_at=now)
    for run_id in ids:
        log.info("import %s handed to a worker again", run_id)
        _dispatch(run_id)
    return ids


__all__ = ["CHUNK", "import_enqueue", "import_process", "imports_resume"]
