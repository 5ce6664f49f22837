from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "retain.tenancy"
    label = "tenancy"
    verbose_name = "Workspaces and members"
