from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "retain.plans"
    label = "plans"
    verbose_name = "Success plans"
