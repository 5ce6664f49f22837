"""Small builders for playbook tests: definitions, health scores and usage rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from django.utils import timezone

from retain.accounts.models import Account
from retain.health.choices import ScorecardStatus
from retain.health.models import HealthScore, Scorecard
from retain.playbooks import services
from retain.playbooks.models import Playbook
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage, DailyUserUsage


def playbook(workspace: Workspace, **definition: Any) -> Playbook:
    data: dict[str, Any] = {"name": definition.get("key", "Test").title()}
    data.update(definition)
    data.setdefault("steps", [{"wait": {"days": 1}}])
    return services.playbook_save(workspace=workspace, definition_yaml=yaml.safe_dump(data), actor=None)


def scorecard(workspace: Workspace) -> Scorecard:
    return Scorecard.objects.create(
        workspace=workspace,
        name="Card",
        definition="name: Card\nmeasures:\n  - kind: logins\n",
        parsed={"measures": [{"kind": "logins"}]},
        status=ScorecardStatus.PUBLISHED,
    )


def score(account: Account, day: dt.date, overall: float | None, band: str) -> HealthScore:
    card = Scorecard.objects.filter(workspace=account.workspace).first() or scorecard(account.workspace)
    return HealthScore.objects.update_or_create(
        account=account,
        day=day,
        defaults={
            "workspace": account.workspace,
            "overall": overall,
            "band": band,
            "scorecard": card,
            "computed_at": timezone.now(),
        },
    )[0]


def usage(account: Account, day: dt.date, events: int, users: tuple[str, ...] = ()) -> None:
    DailyAccountUsage.objects.create(workspace=account.workspace, account=account, day=day, events=events)
    for user in users:
        DailyUserUsage.objects.create(workspace=account.workspace, account=account, user_id=user, day=day, events=1)
