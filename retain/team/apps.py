from django.apps import AppConfig


class TeamConfig(AppConfig):
    name = "retain.team"
    label = "team"
    verbose_name = "Team"

    def ready(self) -> None:
        # New accounts get an owner by the coverage model (accounts.hooks); cadence becomes a health
        # measure and playbook snapshot attributes (registered when team.cadence is imported).
        from retain.accounts import hooks
        from retain.team import cadence, services  # noqa: F401

        hooks.account_created_handler_register(services.on_account_created)
        # Onboarding accounts go from the operational CSM to a long-term owner at the stage change.
        from retain.journeys.hooks import stage_change_handler_register

        stage_change_handler_register(services.on_stage_changed)
        # Education: measures for health and playbooks, and the education events of each usage fold.
        from retain.team import education
        from retain.usage.hooks import fold_handler_register

        education.register_measures()
        fold_handler_register("education events", education.learnings_folded)
