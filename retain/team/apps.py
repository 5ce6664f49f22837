from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "retain.team"
    label = "team"
    verbose_name = "Team"

    def ready(self) -> None:
        from retain.accounts import hooks
        from retain.team import services

        hooks.account_created_handler_register(services.on_account_created)
