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
        from retain.journeys.hooks import goal_provider_register, journey_start_handler_register

        journey_start_handler_register(_journey_started)
        # Measured milestones compare leads and sales to date with the success plan's goals.
        goal_provider_register(_goals)


def _journey_started(account: Account, started_on: dt.date, today: dt.date) -> int:
    from retain.plans import services

    return services.onboarding_plan_on_journey_start(account=account, started_on=started_on, today=today)


def _goals(workspace_id: int, account_ids: list[int] | None) -> dict[int, dict[str, float]]:
    from retain.plans import selectors

    return selectors.measured_goals(workspace_id=workspace_id, account_ids=account_ids)
