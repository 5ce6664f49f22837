"""`retain report portfolio`: the leadership pack of a workspace for a quarter, as PDF or HTML.

    retain report portfolio --workspace SLUG [--period 2026Q4] --out FILE.pdf|FILE.html

The format comes from the file's extension; the quarter defaults to the current one (counted up to
today while it runs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.accounts.selectors import workspace_today
from retain.reports import leadership, render
from retain.reports.management.commands.qbr import FORMATS, _quarter, _workspace


class Command(BaseCommand):
    help = "Workspace-wide reports; `portfolio` writes the leadership pack (seed 001's key performance metrics)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        pack = sub.add_parser("portfolio", help="the leadership pack of a workspace for a quarter")
        pack.add_argument("--workspace", required=True, metavar="SLUG")
        pack.add_argument("--period", metavar="2026Q4", help="the quarter (default: the current one)")
        pack.add_argument("--out", required=True, type=Path, metavar="FILE.pdf|FILE.html")

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        self.portfolio(**options)

    def portfolio(self, *, workspace: str, period: str | None, out: Path, **_: Any) -> None:
        found = _workspace(workspace)
        if out.suffix not in FORMATS:
            raise CommandError(f"--out: the file must end in {' or '.join(FORMATS)} (got {out.name})")
        quarter = _quarter(found, period)
        began = time.perf_counter()
        data = leadership.build(found, quarter, today=workspace_today(found))
        if out.suffix == ".pdf":
            try:
                out.write_bytes(render.leadership_pdf(data))
            except render.PdfUnavailable as exc:
                raise CommandError(str(exc)) from None
        else:
            out.write_text(render.leadership_document(data, browser=True), encoding="utf-8")
        self.stdout.write(f"{out}: leadership pack {quarter.name} of {found.slug} ({time.perf_counter() - began:.2f}s)")
