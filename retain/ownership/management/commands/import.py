"""`retain import {accounts,contacts,subscriptions,responses,history} FILE --workspace SLUG [--dry-run]`.

`retain import workspace ARCHIVE --workspace NEWSLUG [--name NAME]` creates a new workspace from an
archive made by `retain export` (see retain/ownership).

`--allow-partial` writes the good rows of a CSV file and reports the bad ones.

Every file is imported the way an upload is (accounts.imports.background): stored under
DATA_DIR/imports, then written in checkpointed chunks, by default here in this process with a
progress bar. `--background` hands it to a worker instead and follows its progress; `retain import
resume RUN_ID` finishes an import that was interrupted (a worker's sweep would too, within minutes).
`history` (or its older name `events`) takes product events from CSV, JSON Lines or Parquet with
no size limit (the file is on the server already); they are folded into daily usage at the end.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retain.accounts.choices import ImportStatus
from retain.accounts.imports import KINDS, STREAM_KINDS, run_problems, run_summary
from retain.accounts.imports.background import import_enqueue, import_process
from retain.accounts.models import ImportRun
from retain.ownership.commands import import_workspace
from retain.surveys import imports as survey_imports  # registers the "responses" kind
from retain.tenancy.models import Workspace
from retain.usage import imports as usage_imports  # registers the "history" kind

# `retain import events` is the history kind's older name.
ALIASES = {"events": usage_imports.HistoryImport.kind}


class Command(BaseCommand):
    help = (
        "Import accounts, contacts or subscriptions from a CSV export (HubSpot, Salesforce or Retain "
        "headers), survey responses from another survey tool, or historical product events from CSV, "
        "JSON Lines or Parquet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = dict.fromkeys([*KINDS, survey_imports.ResponseImport.kind, *STREAM_KINDS, *ALIASES])
        parser.add_argument("kind", choices=[*kinds, "workspace", "resume"])
        parser.add_argument("file", type=Path, help="the file (resume: the import's run id)")
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--name", help="workspace: the new workspace's name (default: the archive's)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument(
            "--allow-partial",
            action="store_true",
            help="write the good rows and report the bad ones (default: any bad row refuses the file)",
        )
        parser.add_argument(
            "--background", action="store_true", help="hand the import to a worker and follow its progress"
        )

    def handle(
        self,
        *args: object,
        kind: str,
        file: Path,
        workspace: str,
        dry_run: bool,
        allow_partial: bool,
        name: str | None = None,
        background: bool = False,
        **options: object,
    ) -> None:
        if kind == "workspace":
            import_workspace(self, file, slug=workspace, name=name, dry_run=dry_run)
            return
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"no workspace with slug {workspace!r}")
        if kind == "resume":
            self._report(self._resume(found, str(file)), f"import {file}", allow_partial)
            return
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        kind = ALIASES.get(kind, kind)
        with file.open("rb") as source:
            queued = import_enqueue(
                workspace=found,
                actor=None,
                kind=kind,
                filename=file.name,
                source=source,
                dry_run=dry_run,
                allow_partial=allow_partial,
                dispatch=background,
                # A file on the server costs no request; the upload limit is for the web.
                max_bytes=sys.maxsize if kind in STREAM_KINDS else None,
            )
        run = self._follow(queued) if background else self._process(queued)
        self._report(run, file.name, allow_partial)

    def _bar(self) -> tqdm[Any]:
        return tqdm(unit=" rows", disable=not self.stdout.isatty(), file=self.stderr)

    def _process(self, run: ImportRun) -> ImportRun:
        with self._bar() as bar:

            def advance(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            # Run here and now or not at all: a command refused because another import holds the
            # workspace says so, instead of leaving a run queued behind the user's back.
            import_process(run.pk, progress=advance, wait_if_busy=False)
        run.refresh_from_db()
        if run.in_progress:
            # A run begun already that another process holds (its lock, or its row): left as it is.
            raise CommandError(
                f"import {run.pk} was not resumed: another import into workspace {run.workspace.slug!r} "
                "or another worker is running; resume it once that has finished"
            )
        return run

    def _follow(self, run: ImportRun) -> ImportRun:
        """Wait for a worker to finish the run, showing the checkpoint as it moves."""
        self.stdout.write(f"import {run.pk} queued; a worker writes it (Ctrl-C stops watching, not the import)")
        with self._bar() as bar:
            while True:
                run.refresh_from_db()
                bar.total = run.rows_to_write or None
                bar.update(run.rows_done - bar.n)
                if not run.in_progress:
                    return run
                time.sleep(0.5)

    def _resume(self, workspace: Workspace, run_id: str) -> ImportRun:
        run = ImportRun.objects.filter(workspace=workspace, pk=int(run_id) if run_id.isdigit() else 0).first()
        if run is None:
            raise CommandError(f"no import {run_id!r} in workspace {workspace.slug!r}")
        if not run.in_progress:
            raise CommandError(f"import {run.pk} has ended ({run.get_status_display().lower()}): nothing to resume")
        self.stdout.write(f"resuming import {run.pk} after row {run.rows_done}")
        return self._process(run)

    def _report(self, run: ImportRun, filename: str, allow_partial: bool) -> None:
        if run.kind in STREAM_KINDS:
            self._report_stream(run)
            return
        for line in run_problems(run):
            self.stderr.write(line)
        if run.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(run.ignored_columns)}")
        self.stdout.write(run_summary(run))
        # A partial import was asked for, so it succeeds; a refusal (or a dry run that would be
        # refused) exits non-zero so scripts notice.
        would_refuse = run.status == ImportStatus.DRY_RUN and run.errors and not allow_partial
        if run.status == ImportStatus.REFUSED or would_refuse:
            count = len(run.errors)
            raise CommandError(f"{filename}: refused, {count} problem{'' if count == 1 else 's'}; nothing was written")

    def _report_stream(self, run: ImportRun) -> None:
        """Rows read, accepted, duplicates and rejected (with the first reasons), then what followed."""
        filename = run.filename
        problems = run_problems(run)
        if run.status == ImportStatus.REFUSED and len(problems) == 1 and not run.rows_total:
            raise CommandError(problems[0])  # the file as a whole: one line says it
        for line in problems:
            self.stderr.write(line)
        kind = STREAM_KINDS[run.kind]
        prefix = "dry run, nothing written; " if run.status == ImportStatus.DRY_RUN else ""
        self.stdout.write(
            f"{filename}: {prefix}rows {run.rows_total}: {kind.created_word} {run.rows_created}, "
            f"{kind.unchanged_word} {run.rows_unchanged}, rejected {run.rows_rejected}"
        )
        if run.note:
            self.stdout.write(run.note)
        if run.status == ImportStatus.FAILED:
            raise CommandError(f"{filename}: the import stopped; the rows counted above were written")
        if run.status == ImportStatus.REFUSED:
            count = len(problems)
            raise CommandError(f"{filename}: refused, {count} problem{'' if count == 1 else 's'}; nothing was written")
