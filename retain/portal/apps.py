from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "retain.portal"
    label = "portal"
    verbose_name = "Customer portal"
