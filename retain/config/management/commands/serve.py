"""`retain serve`: the embedded, one-machine mode: web server plus a worker with beat inside it,
kept running by retain.config.supervisor (a child that dies is started again)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from retain.config.management.commands._processes import gunicorn_argv, worker_argv
from retain.config.supervisor import Supervisor


class Command(BaseCommand):
    help = "Migrate, then serve the web UI on 127.0.0.1:8000 with a background worker and beat (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="serve the web UI only")

    def handle(self, *args: object, bind: str, no_worker: bool, **options: object) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        # SQLite has one writer at a time: a couple of web workers with threads is plenty.
        commands = {"web": gunicorn_argv(bind, min(settings.WEB_CONCURRENCY, 2), 4)}
        if not no_worker:
            commands["worker"] = worker_argv(concurrency=2, embed_beat=True)
        stop = threading.Event()

        def stop_serving(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stop_serving)
        signal.signal(signal.SIGINT, stop_serving)
        self.stdout.write(f"Retain is serving on http://{bind}/ (Ctrl-C stops it)")
        Supervisor(commands, log=self.log).run(stop)

    def log(self, line: str) -> None:
        self.stdout.write(f"retain serve: {line}")
        self.stdout.flush()
