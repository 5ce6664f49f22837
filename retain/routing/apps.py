from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "retain.routing"
    label = "routing"
    verbose_name = "Inbound routing"

    def ready(self) -> None:
        # Complaints and cancellation intent are a health measure input (health catalogue + measures).
        from retain.messaging.services import delivery_handler_register
        from retain.routing.measures import register_measure
        from retain.routing.services import FORWARD_SOURCE, forward_delivered

        register_measure()
        # The outbox tells routing when a forward to the support desk went out (its timeline entry).
        delivery_handler_register(FORWARD_SOURCE, forward_delivered)
