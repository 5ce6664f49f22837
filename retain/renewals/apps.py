from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "retain.renewals"
    label = "renewals"
    verbose_name = "Renewals"

    def ready(self) -> None:
        # The next renewal goes out with the health export to a warehouse (health.warehouse.export).
        from retain.renewals import warehouse

        warehouse.register()
