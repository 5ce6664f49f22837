from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "retain.usage"
    label = "usage"
    verbose_name = "Product usage"
