from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project package as an app, so process-level commands (serve, web, worker, beat) live here."""

    name = "retain.config"
    label = "config"
    verbose_name = "Retain processes"
