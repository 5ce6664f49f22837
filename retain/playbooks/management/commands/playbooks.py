"""`retain playbooks …`: playbooks as YAML files in and out, and what one would have done.

    retain playbooks export --workspace SLUG [FILE|DIR/|-]        (default "-": standard output)
    retain playbooks import --workspace SLUG FILE|DIR|- [--dry-run]
    retain playbooks simulate KEY --workspace SLUG --from DATE --to DATE
    retain playbooks install-defaults --workspace SLUG

Export writes every current playbook as written (comments kept): one multi-document stream, or
one KEY.yaml per playbook into a folder (a FILE that is a folder or ends with "/"). Import
validates every document first and reports each problem as file:line:column; nothing is saved
unless all of them are good. Simulate replays the playbook over past days and sends nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from retain.lib.dates import local_day
from retain.lib.yamldocs import split_documents
from retain.playbooks.defaults import playbooks_install_defaults
from retain.playbooks.definition import error_lines, parse_yaml, step_kind
from retain.playbooks.models import Playbook
from retain.playbooks.services import playbook_save
from retain.tenancy.models import Workspace

Subparsers = Any  # argparse's _SubParsersAction, private in typeshed
# A simulation over a longer range would replay more than a year of snapshots.
MAX_SIMULATE_DAYS = 400


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _normalised(body: str) -> str:
    return body.strip("\n") + "\n"


def _workspace(slug: str) -> Workspace:
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no workspace with slug {slug!r}")
    return found


def _current(workspace: Workspace) -> list[Playbook]:
    return list(Playbook.objects.filter(workspace=workspace, is_current=True).order_by("key"))


class Command(BaseCommand):
    help = "Playbooks: export and import them as YAML, simulate one over past days, install the defaults."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        export = sub.add_parser("export", help="write the current playbooks as YAML")
        export.add_argument("--workspace", required=True, metavar="SLUG")
        export.add_argument(
            "file", nargs="?", default="-", metavar="FILE", help='a file, a folder (one KEY.yaml each), or "-"'
        )
        imported = sub.add_parser("import", help="validate and save the playbooks in FILE (all or nothing)")
        imported.add_argument("--workspace", required=True, metavar="SLUG")
        imported.add_argument("file", metavar="FILE", help='a YAML file (several documents allowed), a folder, or "-"')
        imported.add_argument("--dry-run", action="store_true", help="validate and report; save nothing")
        simulate = sub.add_parser("simulate", help="which accounts a playbook would have enrolled, sending nothing")
        simulate.add_argument("key", metavar="KEY")
        simulate.add_argument("--workspace", required=True, metavar="SLUG")
        simulate.add_argument("--from", dest="start", type=_day, required=True, metavar="YYYY-MM-DD")
        simulate.add_argument("--to", dest="end", type=_day, required=True, metavar="YYYY-MM-DD")
        defaults = sub.add_parser("install-defaults", help="add the default playbooks the workspace does not have")
        defaults.add_argument("--workspace", required=True, metavar="SLUG")

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        getattr(self, "handle_" + subcommand.replace("-", "_"))(**options)

    # export

    def handle_export(self, *, workspace: str, file: str, **options: Any) -> None:
        found = _workspace(workspace)
        playbooks = _current(found)
        if not playbooks:
            raise CommandError(f"{workspace} has no playbooks (`retain playbooks install-defaults` adds the defaults)")
        if file != "-" and (file.endswith("/") or Path(file).is_dir()):
            folder = Path(file)
            folder.mkdir(parents=True, exist_ok=True)
            for playbook in playbooks:
                (folder / f"{playbook.key}.yaml").write_text(_normalised(playbook.source), encoding="utf-8")
            self.stdout.write(f"{len(playbooks)} playbook(s) written to {folder}/")
            return
        output = "".join(
            ("---\n" if index else "") + _normalised(playbook.source) for index, playbook in enumerate(playbooks)
        )
        if file == "-":
            self.stdout.write(output, ending="")
        else:
            Path(file).write_text(output, encoding="utf-8")
            self.stdout.write(f"{len(playbooks)} playbook(s) written to {file}")

    # import

    def _read(self, path: str) -> list[tuple[str, str]]:
        """(source name, text) of each file to import."""
        if path == "-":
            return [("<stdin>", sys.stdin.read())]
        target = Path(path)
        files = sorted(target.glob("*.yaml")) + sorted(target.glob("*.yml")) if target.is_dir() else [target]
        if target.is_dir() and not files:
            raise CommandError(f"{path}: no .yaml files in the folder")
        texts = []
        for file in files:
            if not file.is_file():
                raise CommandError(f"{file}: no such file")
            try:
                texts.append((str(file), file.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                raise CommandError(f"{file}: not UTF-8 text") from None
        return texts

    def handle_import(self, *, workspace: str, file: str, dry_run: bool, **options: Any) -> None:
        found = _workspace(workspace)
        documents = [
            (source, offset, body) for source, text in self._read(file) for offset, body in split_documents(text)
        ]
        if not documents:
            raise CommandError(f"{file}: no playbook in the input")
        before = {p.key: p.pk for p in _current(found)}
        problems: list[str] = []
        report: list[str] = []
        seen: dict[str, str] = {}
        with transaction.atomic():
            for source, offset, body in documents:
                where = f"{source}:{offset + 1}"
                try:
                    # Blank lines in front count line numbers from the top of the file.
                    key = parse_yaml("\n" * offset + body, source)["key"]
                    if key in seen:
                        problems.append(f"{where}:1: key: {key} is also defined at {seen[key]}")
                        continue
                    seen[key] = where
                    with transaction.atomic():
                        playbook = playbook_save(
                            workspace=found, definition_yaml=_normalised(body), actor=None, filename=source
                        )
                except ValidationError as error:
                    problems.extend(error_lines(error, source))
                    continue
                if key not in before:
                    state = "new"
                elif playbook.pk == before[key]:
                    state = "unchanged"
                else:
                    state = f"new version {playbook.version}"
                report.append(f"{key}: {state}")
            if problems or dry_run:
                transaction.set_rollback(True)
        if problems:
            for message in problems:
                self.stderr.write(message)
            raise CommandError(f"{file}: {len(problems)} problem(s); nothing was imported")
        for line in report:
            self.stdout.write(line)
        verb = "would be imported (dry run: nothing saved)" if dry_run else "imported"
        self.stdout.write(f"{len(report)} playbook(s) {verb}")

    # simulate

    def handle_simulate(self, *, key: str, workspace: str, start: dt.date, end: dt.date, **options: Any) -> None:
        from retain.playbooks.engine import plan

        found = _workspace(workspace)
        if end < start:
            raise CommandError(f"--to ({end}) is before --from ({start})")
        if (end - start).days > MAX_SIMULATE_DAYS:
            raise CommandError(
                f"--from and --to are more than {MAX_SIMULATE_DAYS} days apart; simulate a shorter range"
            )
        playbook = Playbook.objects.filter(workspace=found, key=key, is_current=True).first()
        if playbook is None:
            known = ", ".join(p.key for p in _current(found)) or "none"
            raise CommandError(f"no playbook {key!r} in {workspace} (playbooks: {known})")
        occurrences = plan(workspace=found, playbooks=[playbook], start=start, end=end, dry_run=True)
        self.stdout.write(f"{playbook.name} (v{playbook.version}{'' if playbook.is_active else ', inactive'})")
        for index, step in enumerate(playbook.steps):
            self.stdout.write(f"  step {index}: {occurrences[0].steps[index] if occurrences else step_kind(step)}")
        kinds = " → ".join(step_kind(step) for step in playbook.steps)
        if occurrences:
            width = max(len(o.account_name) for o in occurrences)
            width = max(min(width, 40), len("account"))
            okey = max(max(len(o.occurrence_key) for o in occurrences), len("occurrence"))
            self.stdout.write("")
            self.stdout.write(f"{'date':<10}  {'account':<{width}}  {'occurrence':<{okey}}  steps")
            for o in occurrences:
                day = local_day(o.due_at, found.time_zone)
                name = o.account_name[:width]
                self.stdout.write(f"{day.isoformat():<10}  {name:<{width}}  {o.occurrence_key:<{okey}}  {kinds}")
        accounts = len({o.account_id for o in occurrences})
        self.stdout.write(
            f"{len(occurrences)} occurrence(s) for {accounts} account(s) from {start} to {end}; nothing was sent"
        )

    # install-defaults

    def handle_install_defaults(self, *, workspace: str, **options: Any) -> None:
        found = _workspace(workspace)
        added = playbooks_install_defaults(workspace=found)
        for playbook in added:
            self.stdout.write(f"{playbook.key}: installed")
        self.stdout.write(f"{len(added)} default playbook(s) installed in {workspace}")
