from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "retain.demo"
    label = "demo"
