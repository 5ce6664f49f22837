from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "retain.health"
    label = "health"
    verbose_name = "Health scores"
