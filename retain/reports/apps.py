from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "retain.reports"
    label = "reports"
    verbose_name = "Business reviews"

    def ready(self) -> None:
        # Playbooks sit below reports: the "qbr" step is handed to their registry.
        from retain.playbooks.steps import step_register
        from retain.reports import steps

        step_register(steps.KIND, steps.run, keys=steps.KEYS, clean=steps.clean, describe=steps.describe)
