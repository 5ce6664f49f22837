"""The Celery application; periodic system jobs are declared in config/schedule.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retain.config.settings")

app = Celery("retain")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Background code lives in each app's jobs.py (tasks.py is the name of a domain app).
app.autodiscover_tasks(related_name="jobs")


@app.on_after_configure.connect
def _install_schedule(sender: Celery, **_: object) -> None:
    from retain.config.schedule import SCHEDULE

    sender.conf.beat_schedule = SCHEDULE
