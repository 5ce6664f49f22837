"""The command-line side of data ownership: progress bars and one-line errors around the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from retain.ownership import services
from retain.ownership.archive import ArchiveError


class _DryRun(Exception):
    pass


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())


def import_workspace(command: BaseCommand, file: Path, *, slug: str, name: str | None, dry_run: bool) -> None:
    """`retain import workspace FILE --workspace NEWSLUG`: the whole archive in one transaction, or nothing."""
    if not file.is_file():
        raise CommandError(f"{file}: no such file")
    # Counted here: a disabled bar (no terminal) counts nothing.
    done = [0]
    with tqdm(unit=" rows", disable=not command.stdout.isatty(), file=command.stderr) as bar:

        def advance(table: str, rows: int) -> None:
            done[0] += rows
            bar.set_description(table)
            bar.update(rows)

        try:
            with transaction.atomic(), file.open("rb") as source:
                workspace = services.workspace_import(actor=None, source=source, slug=slug, name=name, progress=advance)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            command.stdout.write(f"{file.name}: dry run, the archive would import ({done[0]} rows); nothing written")
            return
        except ArchiveError as exc:
            raise CommandError(f"{file}: {exc}") from None
        except ValidationError as exc:
            raise CommandError(f"{file}: {_errors(exc)}") from None
    command.stdout.write(f"{file.name}: imported {done[0]} rows into workspace {workspace.slug!r} ({workspace.name})")


def export_workspace(command: BaseCommand, workspace: Any, out: Path) -> None:
    with tqdm(unit=" rows", disable=not command.stdout.isatty(), file=command.stderr) as bar:

        def advance(table: str, rows: int) -> None:
            bar.set_description(table, refresh=False)
            bar.update(rows)

        partial = out.with_name(out.name + ".partial")
        try:
            with partial.open("wb") as target:
                manifest = services.workspace_export(actor=None, workspace=workspace, out=target, progress=advance)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        # Only a complete archive takes the name asked for.
        partial.replace(out)
    rows = sum(table["rows"] for table in manifest["tables"])
    command.stdout.write(f"{out}: {len(manifest['tables'])} tables, {rows} rows of workspace {workspace.slug!r}")
