import os

from django.core.management.base import BaseCommand, CommandParser

from retain.config.management.commands._processes import worker_argv


class Command(BaseCommand):
    help = "Run a Celery worker in the foreground; any number of them may run at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument(
            "--queues",
            default="",
            help="comma-separated queues to consume (default: the default queue); dedicates a worker",
        )

    def handle(self, *args: object, concurrency: int, queues: str, **options: object) -> None:
        argv = worker_argv(concurrency)
        if queues:
            argv += ["--queues", queues]
        os.execv(argv[0], argv)
