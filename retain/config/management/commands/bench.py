"""`retain bench …`: speed measured against a raw reference in the same run."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

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

    def handle(self, *args: object, **options: object) -> None:
        if options["bench"] == "ingest":
            try:
                figures = run_ingest_bench(
                    events=int(options["events"]),  # type: ignore[call-overload]
                    batch=int(options["batch"]),  # type: ignore[call-overload]
                    connections=int(options["connections"]),  # type: ignore[call-overload]
                    database=str(options["database"]),
                    postgres_url=str(options["postgres_url"]),
                    out=lambda line: self.stderr.write(line),
                )
            except BenchError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(" ".join(f"{name}={value}" for name, value in figures.items()))
