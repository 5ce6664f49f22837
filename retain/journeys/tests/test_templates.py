from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from retain.accounts.models import Account
from retain.journeys.choices import MilestoneStatus
from retain.journeys.defaults import DEFAULT_TEMPLATES
from retain.journeys.models import JourneyTemplate, MilestoneProgress
from retain.journeys.services import journey_start, milestone_tick, template_publish, templates_install_defaults
from retain.journeys.templates import clean_milestones
from retain.tenancy.models import Member, Workspace

START = dt.date(2026, 9, 1)


def _errors(milestones: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        clean_milestones(milestones)
    return error.value.message_dict


def _milestone(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"key": "setup", "name": "Set-up", "target_week": 1, "kind": "checklist", "items": ["Done"]}
    data.update(overrides)
    return data


def test_the_default_templates_are_valid() -> None:
    for template in DEFAULT_TEMPLATES:
        assert clean_milestones(template["milestones"])


def test_an_empty_template_is_refused() -> None:
    assert "milestones" in _errors([])


def test_an_unknown_key_event_is_refused_with_the_path() -> None:
    criteria = {"attr": "events.Blog Migrtaed.seen", "op": "eq", "value": True}
    errors = _errors([_milestone(kind="data", criteria=criteria, items=None)])
    assert any(path.startswith("milestones[0].criteria") for path in errors)
    assert "Blog Migrated" in " ".join(message for messages in errors.values() for message in messages)


def test_a_malformed_condition_is_refused() -> None:
    errors = _errors([_milestone(kind="data", criteria={"attr": "usage.active_days_30d", "op": "gte"})])
    assert any(path.startswith("milestones[0].criteria") for path in errors)


def test_each_field_is_checked_and_named() -> None:
    errors = _errors(
        [
            _milestone(key="Bad Key", name="", target_week=0, kind="sometimes"),
            _milestone(key="two", items=[]),
            _milestone(key="two", target_week=1),
        ]
    )
    assert {
        "milestones[0].key",
        "milestones[0].name",
        "milestones[0].target_week",
        "milestones[0].kind",
        "milestones[1].items",
        "milestones[2].key",
    } <= set(errors)


def test_weeks_must_not_go_backwards() -> None:
    errors = _errors([_milestone(key="a", target_week=4), _milestone(key="b", target_week=2)])
    assert "milestones[1].target_week" in errors


def test_an_unknown_audience_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as error:
        template_publish(
            workspace=workspace, key="x", name="X", milestones=[_milestone()], applies_to={"tier": ["gold"]}
        )
    assert "applies_to.tier[0]" in error.value.message_dict


def test_a_priority_past_its_column_is_refused_alike_on_both_databases(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as error:
        template_publish(workspace=workspace, key="x", name="X", milestones=[_milestone()], priority=2**40)
    assert error.value.message_dict == {"priority": ["must be at most 2,147,483,647"]}
    assert not JourneyTemplate.objects.exists()


def test_defaults_are_installed_once(workspace: Workspace) -> None:
    assert len(templates_install_defaults(workspace=workspace)) == 2
    assert len(templates_install_defaults(workspace=workspace)) == 2
    assert JourneyTemplate.objects.filter(workspace=workspace).count() == 2


def test_a_new_version_leaves_journeys_under_way_on_theirs(account: Account) -> None:
    journey = journey_start(account=account, started_on=START)
    old = journey.template
    new = template_publish(
        workspace=account.workspace,
        key=old.key,
        name=old.name,
        milestones=[_milestone()],
        applies_to=old.applies_to,
        priority=old.priority,
    )
    old.refresh_from_db()
    journey.refresh_from_db()
    assert (new.version, new.is_current, old.is_current) == (2, True, False)
    assert journey.template == old


def test_ticking_every_item_completes_a_checklist_milestone(account: Account, carol: Member) -> None:
    journey_start(account=account, started_on=START)
    oriented = MilestoneProgress.objects.get(account=account, key="oriented")
    items = ["Kick-off call held", "Admins trained", "Goals agreed"]
    for index, item in enumerate(items):
        oriented = milestone_tick(progress=oriented, item=item, actor=carol, today=START + dt.timedelta(days=index + 1))
    assert oriented.status == MilestoneStatus.DONE
    assert oriented.completed_on == START + dt.timedelta(days=3)
    assert "Goals agreed ticked on 2026-09-04" in oriented.evidence["summary"]
    assert oriented.ticks["Admins trained"]["by"] == carol.pk

    oriented = milestone_tick(progress=oriented, item="Goals agreed", actor=carol, ticked=False, today=START)
    assert oriented.completed_on is None and oriented.status == MilestoneStatus.ON_TRACK


def test_a_tick_must_name_an_item_of_a_checklist(account: Account, carol: Member) -> None:
    journey_start(account=account, started_on=START)
    oriented = MilestoneProgress.objects.get(account=account, key="oriented")
    with pytest.raises(ValidationError) as error:
        milestone_tick(progress=oriented, item="Party thrown", actor=carol)
    assert "item" in error.value.message_dict
    setup = MilestoneProgress.objects.get(account=account, key="technical-setup")
    with pytest.raises(ValidationError):
        milestone_tick(progress=setup, item="Blog Migrated", actor=carol)
