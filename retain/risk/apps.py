from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "retain.risk"
    label = "risk"
    verbose_name = "Churn risk"
