"""`retain health …`: re-score accounts by hand, and move scorecards in and out as YAML files.

    retain health recompute [--workspace SLUG] [--day YYYY-MM-DD]
    retain health scorecard export --workspace SLUG [--name NAME] FILE   (FILE "-" is standard output)
    retain health scorecard import --workspace SLUG FILE

One subparser and one `handle_<subcommand>` method per subcommand: a new subcommand adds an
`_add_<subcommand>` function to SUBCOMMANDS and its handler method.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from retain.accounts.models import Account
from retain.health.services import health_recompute, scorecard_publish, scorecards_published
from retain.tenancy.models import Workspace

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _add_recompute(sub: Subparsers) -> None:
    parser = sub.add_parser("recompute", help="score accounts now and store the day's scores")
    parser.add_argument("--workspace", metavar="SLUG", help="one workspace (default: every workspace)")
    parser.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="the day to score as of (default: today)")


def _add_scorecard(sub: Subparsers) -> None:
    parser = sub.add_parser("scorecard", help="export or import scorecards as YAML")
    actions = parser.add_subparsers(dest="action", required=True, metavar="{export,import}")
    export = actions.add_parser("export", help="write the published scorecards (or one of them) to FILE")
    export.add_argument("--workspace", required=True, metavar="SLUG")
    export.add_argument("--name", help="one scorecard by name (default: all, as a multi-document file)")
    export.add_argument("file", metavar="FILE", help='the file to write, or "-" for standard output')
    imported = actions.add_parser("import", help="validate and publish the scorecards in FILE")
    imported.add_argument("--workspace", required=True, metavar="SLUG")
    imported.add_argument("file", type=Path, metavar="FILE")


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [_add_recompute, _add_scorecard]


def _workspace(slug: str) -> Workspace:
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no workspace with slug {slug!r}")
    return found


DOCUMENT_START = re.compile(r"^---(\s|#|$)")


def split_documents(text: str) -> list[tuple[int, str]]:
    """The YAML documents of a file with the line each starts after: [(lines before it, text)].
    Documents holding only comments and blank lines are left out."""
    documents: list[tuple[int, str]] = []
    offset, current = 0, list[str]()
    for number, line in enumerate(text.splitlines(keepends=True)):
        if DOCUMENT_START.match(line):
            documents.append((offset, "".join(current)))
            offset, current = number + 1, []
        else:
            current.append(line)
    documents.append((offset, "".join(current)))
    return [
        (offset, body)
        for offset, body in documents
        if any(line.strip() and not line.lstrip().startswith("#") for line in body.splitlines())
    ]


def _shift(message: str, source: str, offset: int) -> str:
    """A problem's line number counted from the start of the file rather than of its document."""
    prefix = re.escape(source)
    return re.sub(rf"^{prefix}:(\d+):", lambda m: f"{source}:{int(m.group(1)) + offset}:", message)


class Command(BaseCommand):
    help = "Health scores: recompute them, and export or import scorecards as YAML."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for add in SUBCOMMANDS:
            add(sub)

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        getattr(self, f"handle_{subcommand}")(**options)

    # recompute

    def handle_recompute(self, *, workspace: str | None, day: dt.date | None, **options: Any) -> None:
        workspaces = [_workspace(workspace)] if workspace else list(Workspace.objects.order_by("slug"))
        total = Account.objects.filter(workspace__in=workspaces).count()
        quiet = not sys.stderr.isatty()
        with tqdm(total=total, unit=" accounts", disable=quiet, file=sys.stderr) as bar:
            for found in workspaces:
                began = time.perf_counter()
                already = int(bar.n)

                def advance(done: int, of: int, base: int = already) -> None:
                    bar.update(base + done - bar.n)

                bar.set_description(found.slug)
                result = health_recompute(workspace=found, day=day, progress=advance)
                took = time.perf_counter() - began
                with tqdm.external_write_mode(file=sys.stderr):
                    self.stdout.write(f"{found.slug}: {result.summary()} ({took:.1f}s)")

    # scorecard export | import

    def handle_scorecard(self, *, action: str, **options: Any) -> None:
        if action == "export":
            self._export(**options)
        else:
            self._import(**options)

    def _export(self, *, workspace: str, name: str | None, file: str, **options: Any) -> None:
        found = _workspace(workspace)
        rows = scorecards_published(found)
        if name is not None:
            rows = [row for row in rows if row.name == name]
            if not rows:
                known = ", ".join(repr(row.name) for row in scorecards_published(found)) or "none"
                raise CommandError(f"no published scorecard named {name!r} in {workspace} (published: {known})")
        if not rows:
            raise CommandError(f"{workspace} has no published scorecard (run `retain health recompute` first)")
        parts = []
        for index, row in enumerate(rows):
            text = row.definition if row.definition.endswith("\n") else row.definition + "\n"
            if index and not DOCUMENT_START.match(text):
                text = "---\n" + text
            parts.append(text)
        output = "".join(parts)
        if file == "-":
            self.stdout.write(output, ending="")
        else:
            Path(file).write_text(output, encoding="utf-8")
            self.stdout.write(f"{len(rows)} scorecard(s) written to {file}")

    def _import(self, *, workspace: str, file: Path, **options: Any) -> None:
        found = _workspace(workspace)
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        source = str(file)
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{source}: not UTF-8 text") from None
        documents = split_documents(text)
        if not documents:
            raise CommandError(f"{source}: no scorecard in the file")
        problems: list[str] = []
        before = {row.pk for row in scorecards_published(found)}
        published = []
        with transaction.atomic():
            for offset, body in documents:
                try:
                    with transaction.atomic():
                        published.append(scorecard_publish(workspace=found, actor=None, text=body, filename=source))
                except ValidationError as error:
                    problems.extend(_shift(message, source, offset) for message in error.message_dict["definition"])
            if problems:
                transaction.set_rollback(True)
        if problems:
            for message in problems:
                self.stderr.write(message)
            raise CommandError(f"{source}: {len(problems)} problem(s); nothing was imported")
        for row in published:
            state = "unchanged" if row.pk in before else "published"
            self.stdout.write(f"{row.name}: version {row.version} {state}")
