"""`retain serve`: the embedded, one-machine mode: web server plus a worker with beat inside it."""

from __future__ import annotations

import signal
import subprocess
import time
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from retain.config.management.commands._processes import gunicorn_argv, worker_argv


class Command(BaseCommand):
    help = "Migrate, then serve the web UI on 127.0.0.1:8000 with a background worker and beat (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="serve the web UI only")

    def handle(self, *args: object, bind: str, no_worker: bool, **options: object) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        # SQLite has one writer at a time: a couple of web workers with threads is plenty.
        commands = [gunicorn_argv(bind, min(settings.WEB_CONCURRENCY, 2), 4)]
        if not no_worker:
            commands.append(worker_argv(concurrency=2, embed_beat=True))
        children = [subprocess.Popen(argv) for argv in commands]
        self.stdout.write(f"Retain is serving on http://{bind}/ (Ctrl-C stops it)")

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [child.returncode for child in children if child.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise SystemExit(failed[0])
