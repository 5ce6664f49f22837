from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from retain.accounts.models import Account


class PlansConfig(AppConfig):
    name = "retain.plans"
    label = "plans"
    verbose_name = "Success plans"

    def ready(self) -> None:
        # A new customer starting its journey gets its 30/60/90-day onboarding plan.
        from retain.journeys.hooks import journey_start_handler_register

        journey_start_handler_register(_journey_started)


def _journey_started(account: Account, started_on: dt.date, today: dt.date) -> int:
    from retain.plans import services

    return services.onboarding_plan_on_journey_start(account=account, started_on=started_on, today=today)
