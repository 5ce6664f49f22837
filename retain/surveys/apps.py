from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "retain.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        # The "responses" kind of CSV import joins the accounts app's import registry.
        from retain.surveys import imports  # noqa: F401
