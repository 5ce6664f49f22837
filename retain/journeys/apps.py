from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "retain.journeys"
    label = "journeys"
    verbose_name = "Journeys"

    def ready(self) -> None:
        # Registers the lifecycle measure kind with the health catalogue and measures.
        # An opened renewal window moves the account's lifecycle to renewal.
        from retain.accounts.hooks import renewal_window_handler_register
        from retain.journeys import measures  # noqa: F401

        renewal_window_handler_register(_renewal_window_opened)

        # Milestones that new usage proves complete after each fold (usage.hooks).
        from retain.journeys.jobs import evaluate_folded
        from retain.usage.hooks import fold_handler_register

        fold_handler_register("journey evaluation", evaluate_folded)


def _renewal_window_opened(account_ids: list[int]) -> None:
    from retain.journeys import services

    services.lifecycle_on_renewal_window(account_ids=account_ids)
