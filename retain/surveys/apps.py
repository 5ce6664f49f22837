from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from retain.tenancy.models import Workspace
    from retain.usage.events import Event


class SurveysConfig(AppConfig):
    name = "retain.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        # The "responses" kind of CSV import joins the accounts app's import registry.
        # Messaging reports an invitation e-mail's delivery back: the invitation is sent only then.
        from retain.messaging.services import delivery_handler_register
        from retain.surveys import imports  # noqa: F401
        from retain.surveys.services import MESSAGE_SOURCE, invitation_delivered, is_nps_answer

        delivery_handler_register(MESSAGE_SOURCE, invitation_delivered)

        # An `NPS Submitted` event the ingest API stores is a survey answer. The test runs on every
        # ingested event, so it is the function itself, not a wrapper importing it on each call.
        from retain.usage.hooks import EventHandler, event_handler_register

        event_handler_register(EventHandler("survey answers", is_nps_answer, _record_answers))


def _record_answers(workspace: Workspace, events: Sequence[Event]) -> int:
    from retain.surveys import services

    return services.responses_record_from_events(workspace=workspace, events=events)
