from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "retain.routing"
    label = "routing"
    verbose_name = "Inbound routing"
