"""`retain health …`: re-score accounts by hand, and move scorecards in and out as YAML files.

    retain health recompute [--workspace SLUG] [--day YYYY-MM-DD]
    retain health scorecard export --workspace SLUG [--name NAME] FILE   (FILE "-" is standard output)
    retain health scorecard import --workspace SLUG FILE
    retain health backtest --workspace SLUG --from DATE --to DATE [--step-days 30] [--horizon-days 90] [--draft FILE]
    retain health preview --workspace SLUG FILE

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
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from retain.accounts.models import Account
from retain.health.selectors import scorecards_published
from retain.health.services import health_recompute, scorecard_publish
from retain.lib.yamldocs import DOCUMENT_START, split_documents
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


def _add_backtest(sub: Subparsers) -> None:
    parser = sub.add_parser("backtest", help="replay the scorecards at past dates against the churn that followed")
    parser.add_argument("--workspace", required=True, metavar="SLUG")
    parser.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--step-days", type=int, default=30, help="days between snapshots (default 30)")
    parser.add_argument("--horizon-days", type=int, default=90, help="churn counted within this many days (90)")
    parser.add_argument("--draft", type=Path, metavar="FILE", help="backtest a draft scorecard in place of its name")


def _add_preview(sub: Subparsers) -> None:
    parser = sub.add_parser("preview", help="how many accounts a draft scorecard would move between bands")
    parser.add_argument("--workspace", required=True, metavar="SLUG")
    parser.add_argument("file", type=Path, metavar="FILE")


SUBCOMMANDS: list[Callable[[Subparsers], None]] = [_add_recompute, _add_scorecard, _add_backtest, _add_preview]


def _workspace(slug: str) -> Workspace:
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no workspace with slug {slug!r}")
    return found


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

    # backtest | preview

    def _draft_text(self, file: Path) -> str:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text") from None

    def _fail(self, error: ValidationError) -> NoReturn:
        for message in error.message_dict.get("definition", error.messages):
            self.stderr.write(message)
        raise CommandError("the draft scorecard has problems; nothing was scored")

    def handle_backtest(
        self,
        *,
        workspace: str,
        start: dt.date,
        end: dt.date,
        step_days: int,
        horizon_days: int,
        draft: Path | None,
        **options: Any,
    ) -> None:
        from retain.health.backtest import backtest
        from retain.health.preview import parse_draft
        from retain.health.services import draft_definitions

        found = _workspace(workspace)
        if end < start:
            raise CommandError(f"--to ({end}) is before --from ({start})")
        if step_days < 1 or horizon_days < 1:
            raise CommandError("--step-days and --horizon-days must be at least 1")
        definitions = None
        if draft is not None:
            try:
                card = parse_draft(workspace=found, text=self._draft_text(draft), filename=str(draft))
            except ValidationError as error:
                self._fail(error)
            definitions = draft_definitions(workspace=found, draft=card)
        elif not scorecards_published(found):
            raise CommandError(f"{workspace} has no published scorecard (run `retain health recompute` first)")
        quiet = not sys.stderr.isatty()
        with tqdm(unit=" snapshots", disable=quiet, file=sys.stderr) as bar:

            def advance(done: int, of: int) -> None:
                bar.total = of
                bar.update(done - bar.n)

            report = backtest(
                workspace=found,
                start=start,
                end=end,
                step_days=step_days,
                horizon_days=horizon_days,
                definitions=definitions,
                progress=advance,
            )
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(report.summary())

    def handle_preview(self, *, workspace: str, file: Path, **options: Any) -> None:
        from retain.health.preview import preview_scorecard

        found = _workspace(workspace)
        text = self._draft_text(file)
        try:
            result = preview_scorecard(workspace=found, text=text, filename=str(file))
        except ValidationError as error:
            self._fail(error)
        for line in result.lines():
            self.stdout.write(line)
