from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "retain.health"
    label = "health"
    verbose_name = "Health scores"

    def ready(self) -> None:
        # Accounts whose usage a fold changed are re-scored at once (usage.hooks).
        from retain.health.jobs import rescore_folded
        from retain.usage.hooks import fold_handler_register

        fold_handler_register("health re-score", rescore_folded)

        # Measures whose values come from SQL in a warehouse (warehouse.KEY kinds).
        from retain.health.warehouse import kinds

        kinds.register()
