from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "retain.ownership"
    label = "ownership"
    verbose_name = "Data ownership"
