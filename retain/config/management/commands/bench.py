"""`retain bench …`: speed measured against a raw reference in the same run."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.config import bench_scale
from retain.health import bench as health_bench
from retain.playbooks import bench as playbooks_bench
from retain.usage.bench.runner import BenchError, run_ingest_bench


class Command(BaseCommand):
    help = "Benchmarks that print their figure beside a raw reference measured in the same run."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="bench", required=True)
        ingest = sub.add_parser("ingest", help="the ingest API against raw executemany")
        ingest.add_argument("--events", type=int, default=200_000)
        ingest.add_argument("--batch", type=int, default=100)
        ingest.add_argument("--connections", type=int, default=16)
        ingest.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
        ingest.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                            help="an admin connection; the bench creates and drops its own databases")  # fmt: skip
        health = sub.add_parser("health", help="a full health re-score against one raw INSERT … SELECT")
        health.add_argument("--accounts", type=int, default=2000)
        health.add_argument("--events", type=int, default=1_000_000)
        health.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
        health.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                            help="an admin connection; the bench creates and drops its own database")  # fmt: skip
        playbooks = sub.add_parser("playbooks", help="one scan and sweep of the default playbooks against raw SQL")
        playbooks.add_argument("--accounts", type=int, default=10_000)
        playbooks.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
        playbooks.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                               help="an admin connection; the bench creates and drops its own database")  # fmt: skip

        scale = sub.add_parser("scale", help="a large customer's size on PostgreSQL, each figure beside its target")
        scale.add_argument("--accounts", type=int, default=50_000)
        scale.add_argument("--events", type=int, default=50_000_000)
        scale.add_argument("--days", type=int, default=bench_scale.DAYS, help="the history's length, to today")
        scale.add_argument("--ingest-seconds", type=int, default=60, help="how long the sustained ingest runs")
        scale.add_argument("--database", choices=["sqlite", "postgres"], default="postgres",
                           help="PostgreSQL only; sqlite is refused with the reason")  # fmt: skip
        scale.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres",
                           help="an admin connection; the bench creates and drops its own database")  # fmt: skip

    def handle(self, *args: object, **options: object) -> None:
        if options["bench"] == "scale":
            self._scale(options)
        if options["bench"] == "health":
            try:
                result = health_bench.run_health_bench(
                    accounts=int(options["accounts"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    events=int(options["events"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    database=str(options["database"]),
                    postgres_url=str(options["postgres_url"]),
                    out=lambda line: self.stderr.write(line),
                )
            except health_bench.BenchError as exc:
                raise CommandError(str(exc)) from None
            for note in result["notes"]:
                self.stdout.write(f"Note: {note}")
            self.stdout.write(f"Checked {result['checked']} sampled accounts: same overall (to 0.1) and band.")
            self.stdout.write(" ".join(f"{name}={result[name]}" for name in health_bench.FIGURES))
        if options["bench"] == "playbooks":
            try:
                figures = playbooks_bench.run_playbooks_bench(
                    accounts=int(options["accounts"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    database=str(options["database"]),
                    postgres_url=str(options["postgres_url"]),
                    out=lambda line: self.stderr.write(line),
                )
            except playbooks_bench.BenchError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"Same {figures['pairs']} (playbook, account) pairs both ways; enrolled={figures['enrolled']} "
                f"claimed={figures['claimed']} "
                f"step_runs={figures['step_runs']} still_due={figures['still_due']}"
            )
            self.stdout.write(" ".join(f"{name}={figures[name]}" for name in playbooks_bench.FIGURES))
        if options["bench"] == "ingest":
            try:
                figures = run_ingest_bench(
                    events=int(options["events"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    batch=int(options["batch"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    connections=int(options["connections"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                    database=str(options["database"]),
                    postgres_url=str(options["postgres_url"]),
                    out=lambda line: self.stderr.write(line),
                )
            except BenchError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(" ".join(f"{name}={value}" for name, value in figures.items()))

    def _scale(self, options: dict[str, object]) -> None:
        if options["database"] != "postgres":
            raise CommandError(
                "retain bench scale runs on PostgreSQL only: it measures monthly event partitions and loads its "
                "history with COPY, which SQLite has not; give --postgres-url for a PostgreSQL server"
            )
        try:
            figures = bench_scale.run_scale_bench(
                accounts=int(options["accounts"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                events=int(options["events"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                ingest_seconds=int(options["ingest_seconds"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                days=int(options["days"]),  # type: ignore[call-overload]  # argparse gives an int; options is typed dict[str, object]
                postgres_url=str(options["postgres_url"]),
                out=lambda line: self.stderr.write(line),
            )
        except bench_scale.BenchError as exc:
            raise CommandError(str(exc)) from None
        for line in bench_scale.report(figures):
            self.stdout.write(line)
        self.stdout.write(" ".join(f"{name}={figures[name]}" for name in bench_scale.FIGURES))
