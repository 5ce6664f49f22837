from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "retain.renewals"
    label = "renewals"
    verbose_name = "Renewals"
