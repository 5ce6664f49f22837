from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "retain.routing"
    label = "routing"
    verbose_name = "Inbound routing"

    def ready(self) -> None:
        # Complaints and cancellation intent are a health measure input (health catalogue + measures).
        from retain.routing.measures import register_measure

        register_measure()
