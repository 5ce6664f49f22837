"""Starting Retain's processes: the web server (gunicorn) and Celery's worker and beat."""

from __future__ import annotations

import sys

from django.conf import settings


def gunicorn_argv(bind: str, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "retain.config.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--threads", str(threads),
        "--access-logfile", "-", "--graceful-timeout", "20",
    ]  # fmt: skip


def celery_argv(command: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "retain.config", command, "--loglevel", "INFO", *extra]


def worker_argv(concurrency: int, embed_beat: bool = False) -> list[str]:
    extra = ["--concurrency", str(concurrency), "--pool", "threads"]
    if embed_beat:
        extra += ["--beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILE]
    return celery_argv("worker", *extra)


def beat_argv() -> list[str]:
    return celery_argv("beat", "--schedule", settings.CELERY_BEAT_SCHEDULE_FILE)
