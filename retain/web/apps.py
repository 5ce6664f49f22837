from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "retain.web"
    label = "web"
