"""`retain export --workspace SLUG --out FILE`: every row the workspace owns, as one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.ownership.commands import export_workspace
from retain.tenancy.models import Workspace


class Command(BaseCommand):
    help = (
        "Export a whole workspace as one zip: every table it owns as CSV and as JSON Lines, with a manifest. "
        "`retain import workspace FILE --workspace NEWSLUG` reads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--out", required=True, type=Path, metavar="FILE")

    def handle(self, *args: object, workspace: str, out: Path, **options: object) -> None:
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"no workspace with slug {workspace!r}")
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such directory")
        export_workspace(self, found, out)
