from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "retain.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"
