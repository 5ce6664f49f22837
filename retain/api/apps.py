from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "retain.api"
    label = "api"
