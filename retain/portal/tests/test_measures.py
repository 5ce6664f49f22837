"""Portal use as engagement measures: health's catalogue and queries, journeys' criteria and playbook
snapshots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from retain.accounts.models import Account, Contact
from retain.health import catalogue
from retain.health.measures import compute_measures
from retain.journeys import services as journey_services
from retain.journeys.models import MilestoneProgress
from retain.lib.conditions import parse
from retain.playbooks import snapshot
from retain.portal.choices import ActivityKind
from retain.portal.measures import ACTIONS, DAYS_SINCE, VISITS
from retain.portal.models import PortalActivity

pytestmark = pytest.mark.django_db


def test_sign_ins_ticks_and_questions_are_measures(jane_client: Client, globex: Account, initech: Account) -> None:
    jane_client.post("/portal/ask/", {"text": "Where is the invoice?"})
    # An old sign-in, outside the 30-day window: it counts for the last visit only.
    old = PortalActivity.objects.get(account=globex, kind=ActivityKind.SIGN_IN)
    PortalActivity.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    today = timezone.now().date()
    values = compute_measures(globex.workspace, [globex.pk, initech.pk], today, kinds=[VISITS, ACTIONS, DAYS_SINCE])
    assert values[globex.pk] == {VISITS: 0.0, ACTIONS: 1.0, DAYS_SINCE: 0.0}
    assert values[initech.pk] == {VISITS: 0.0, ACTIONS: 0.0, DAYS_SINCE: None}
    assert catalogue.describe(DAYS_SINCE, None) == "never used the portal"
    assert catalogue.describe(ACTIONS, 1.0) == "1 portal action in 30 days"
    # Forty days ago the sign-in was that day's visit.
    before = compute_measures(globex.workspace, [globex.pk], today - dt.timedelta(days=40), kinds=[VISITS, DAYS_SINCE])
    assert before[globex.pk] == {VISITS: 1.0, DAYS_SINCE: 0.0}


def test_playbooks_read_no_portal_visit_in_30_days_during_onboarding(
    jane_client: Client, globex: Account, initech: Account, jane: Contact
) -> None:
    today = timezone.now().date()
    snaps = snapshot.build(globex.workspace, today, [globex.pk, initech.pk])
    assert snaps[globex.pk]["portal.visits_30d"] == 1 and snaps[globex.pk]["portal.days_since_visit"] == 0
    assert snaps[initech.pk]["portal.visits_30d"] == 0 and "portal.days_since_visit" not in snaps[initech.pk]
    condition = parse(
        {
            "and": [
                {"attr": "account.stage", "op": "eq", "value": "onboarding"},
                {"attr": "portal.visits_30d", "op": "eq", "value": 0},
            ]
        }
    )
    assert [pk for pk in (globex.pk, initech.pk) if condition.evaluate(snaps[pk])] == [initech.pk]


def test_a_journey_milestone_can_complete_on_portal_use(jane_client: Client, globex: Account, initech: Account) -> None:
    milestones = [
        {"key": "portal-used", "name": "Uses the portal", "target_week": 2, "kind": "data",
         "criteria": {"attr": "portal.visits_30d", "op": "gte", "value": 1}},
    ]  # fmt: skip
    template = journey_services.template_publish(
        workspace=globex.workspace, key="portal-path", name="Portal path", milestones=milestones
    )
    for account in (globex, initech):
        journey_services.journey_start(account=account, template=template, plan_onboarding=False)
    journey_services.journeys_advance(workspace=globex.workspace, account_ids=[globex.pk, initech.pk])
    done = MilestoneProgress.objects.get(account=globex, key="portal-used")
    assert done.completed_on is not None and "visits 30d: 1" in done.evidence["summary"]
    assert MilestoneProgress.objects.get(account=initech, key="portal-used").completed_on is None
    with pytest.raises(ValidationError, match=r"portal\.visits_3d"):
        journey_services.template_publish(
            workspace=globex.workspace, key="bad", name="Bad",
            milestones=[{**milestones[0], "criteria": {"attr": "portal.visits_3d", "op": "gte", "value": 1}}],
        )  # fmt: skip
