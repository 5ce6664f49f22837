import os

from django.core.management.base import BaseCommand

from retain.config.management.commands._processes import beat_argv


class Command(BaseCommand):
    help = "Run Celery beat (the periodic jobs in retain/config/schedule.py); run exactly one."

    def handle(self, *args: object, **options: object) -> None:
        argv = beat_argv()
        os.execv(argv[0], argv)
