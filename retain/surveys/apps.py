from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "retain.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        # The "responses" kind of CSV import joins the accounts app's import registry.
        # Messaging reports an invitation e-mail's delivery back: the invitation is sent only then.
        from retain.messaging.services import delivery_handler_register
        from retain.surveys import imports  # noqa: F401
        from retain.surveys.services import MESSAGE_SOURCE, invitation_delivered

        delivery_handler_register(MESSAGE_SOURCE, invitation_delivered)
