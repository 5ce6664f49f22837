from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "retain.journeys"
    label = "journeys"
    verbose_name = "Journeys"
