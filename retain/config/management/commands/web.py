import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from retain.config.management.commands._processes import gunicorn_argv


class Command(BaseCommand):
    help = "Run the web server (gunicorn) in the foreground; run it on as many machines as needed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=settings.WEB_CONCURRENCY)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args: object, bind: str, workers: int, threads: int, **options: object) -> None:
        argv = gunicorn_argv(bind, workers, threads)
        os.execv(argv[0], argv)
