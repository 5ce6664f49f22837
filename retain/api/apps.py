from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "retain.api"
    label = "api"

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular.
        from retain.api import schema  # noqa: F401
