from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "retain.team"
    label = "team"
    verbose_name = "Team"
