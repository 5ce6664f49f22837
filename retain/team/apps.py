from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "retain.team"
    label = "team"
    verbose_name = "Team"

    def ready(self) -> None:
        # New accounts get an owner by the coverage model (accounts.hooks); cadence becomes a health
        # measure and playbook snapshot attributes (registered when team.cadence is imported).
        from retain.accounts import hooks
        from retain.health.hooks import band_change_handler_register
        from retain.journeys.hooks import stage_change_handler_register
        from retain.tasks.hooks import task_assigned_handler_register
        from retain.team import cadence, notifications, services  # noqa: F401

        # In-app notifications, written where the events happen (team.notifications). The created
        # account's owner is told before the coverage model assigns one, so an account assigned on
        # creation is told once, by the owner change.
        hooks.account_created_handler_register(notifications.on_account_created)
        hooks.account_created_handler_register(services.on_account_created)
        hooks.owner_change_handler_register(notifications.on_owner_changed)
        hooks.touchpoint_handler_register(notifications.on_touchpoint_logged)
        task_assigned_handler_register(notifications.on_task_assigned)
        band_change_handler_register(notifications.on_bands_changed)
        # Onboarding accounts go from the operational CSM to a long-term owner at the stage change.
        stage_change_handler_register(services.on_stage_changed)
        # Education: measures for health and playbooks, and the education events of each usage fold.
        from retain.team import education
        from retain.usage.hooks import fold_handler_register

        education.register_measures()
        fold_handler_register("education events", education.learnings_folded)
