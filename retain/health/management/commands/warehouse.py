"""`retain warehouse …`: test warehouse connections, run warehouse measures, export health.

    retain warehouse test --workspace SLUG [--connection NAME]
    retain warehouse run --workspace SLUG [--measure KEY] [--day YYYY-MM-DD]
    retain warehouse export --workspace SLUG [--connection NAME] [--day YYYY-MM-DD]

Each prints one line per run (what it returned, matched and wrote, or the error) and exits 1 when
any run failed, so a cron wrapper or CI notices.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseRun
from retain.health.warehouse.export import health_export
from retain.health.warehouse.runs import connection_test, measure_run
from retain.tenancy.models import Workspace


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _workspace(slug: str) -> Workspace:
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"no workspace with slug {slug!r}")
    return found


def _took(run: WarehouseRun) -> str:
    if run.finished_at is None:
        return ""
    return f" ({(run.finished_at - run.started_at).total_seconds():.1f}s)"


class Command(BaseCommand):
    help = "Warehouse connections: test them, run the warehouse measures, export health to a table."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{test,run,export}")
        test = sub.add_parser("test", help="connect to each warehouse and run SELECT 1")
        test.add_argument("--workspace", required=True, metavar="SLUG")
        test.add_argument("--connection", metavar="NAME", help="one connection (default: all)")
        run = sub.add_parser("run", help="run the warehouse measures now and store their values")
        run.add_argument("--workspace", required=True, metavar="SLUG")
        run.add_argument("--measure", metavar="KEY", help="one measure (default: every enabled one)")
        run.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="the day rows without a day are for")
        export = sub.add_parser("export", help="write health scores, bands and renewals to the export table")
        export.add_argument("--workspace", required=True, metavar="SLUG")
        export.add_argument("--connection", metavar="NAME", help="one connection (default: all)")
        export.add_argument("--day", type=_day, metavar="YYYY-MM-DD", help="the day to export (default: today)")

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        runs = getattr(self, f"handle_{subcommand}")(**options)
        if any(run.error for run in runs):
            raise SystemExit(1)

    def _connections(self, workspace: Workspace, name: str | None) -> list[WarehouseConnection]:
        connections = list(WarehouseConnection.objects.filter(workspace=workspace))
        if name is not None:
            connections = [c for c in connections if c.name == name]
            if not connections:
                raise CommandError(f"no warehouse connection named {name!r} in {workspace.slug}")
        if not connections:
            raise CommandError(f"{workspace.slug} has no warehouse connection")
        return connections

    def handle_test(self, *, workspace: str, connection: str | None, **options: Any) -> list[WarehouseRun]:
        found = _workspace(workspace)
        runs = []
        for conn in self._connections(found, connection):
            run = connection_test(workspace=found, connection=conn)
            self.stdout.write(f"{conn.name}: {'error: ' + run.error if run.error else 'ok'}{_took(run)}")
            runs.append(run)
        return runs

    def handle_run(
        self, *, workspace: str, measure: str | None, day: dt.date | None, **options: Any
    ) -> list[WarehouseRun]:
        found = _workspace(workspace)
        measures = WarehouseMeasure.objects.filter(workspace=found).select_related("connection")
        if measure is not None:
            measures = measures.filter(key=measure)
            if not measures:
                raise CommandError(f"no warehouse measure with key {measure!r} in {found.slug}")
        else:
            measures = measures.filter(enabled=True)
        runs = []
        for item in measures:
            run = measure_run(workspace=found, measure=item, day=day)
            if run.error:
                self.stdout.write(f"{item.key}: error: {run.error}{_took(run)}")
            else:
                self.stdout.write(
                    f"{item.key}: {run.rows} rows, {run.matched} matched, {run.unmatched} unmatched{_took(run)}"
                )
            runs.append(run)
        if not runs:
            self.stdout.write(f"{found.slug} has no enabled warehouse measure")
        return runs

    def handle_export(
        self, *, workspace: str, connection: str | None, day: dt.date | None, **options: Any
    ) -> list[WarehouseRun]:
        found = _workspace(workspace)
        runs = []
        for conn in self._connections(found, connection):
            run = health_export(workspace=found, connection=conn, day=day)
            where = conn.export_table or "retain_account_health"
            outcome = f"error: {run.error}" if run.error else f"{run.rows} rows written to {where}"
            self.stdout.write(f"{conn.name}: {outcome}{_took(run)}")
            runs.append(run)
        return runs
