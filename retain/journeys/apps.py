from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "retain.journeys"
    label = "journeys"
    verbose_name = "Journeys"

    def ready(self) -> None:
        # Registers the lifecycle measure kind with the health catalogue and measures.
        from retain.journeys import measures  # noqa: F401
