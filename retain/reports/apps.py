from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "retain.reports"
    label = "reports"
    verbose_name = "Business reviews"
