from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "retain.usage"
    label = "usage"
    verbose_name = "Product usage"

    def ready(self) -> None:
        # The "history" kind of import (product events from a file) joins the accounts app's
        # background imports.
        from retain.usage import imports  # noqa: F401
