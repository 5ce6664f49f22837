"""Previewing a draft scorecard: band transitions and movers, nothing written, errors by line."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from retain.accounts.choices import Tier
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health.models import HealthScore, Scorecard
from retain.health.preview import preview_scorecard
from retain.health.services import scorecard_publish
from retain.tenancy.models import Workspace
from retain.usage.models import DailyAccountUsage

PUBLISHED = """\
name: Activity
applies_to: {default: true}
measures:
- kind: active_days
  scoring:
    linear: {from: 0, to: 20}
"""


def active(workspace: Workspace, name: str, days: int, tier: str = Tier.COMMUNITY) -> Account:
    """An account active on each of the last `days` days to today."""
    account = Account.objects.create(workspace=workspace, name=name, tier=tier)
    today = workspace_today(workspace)
    DailyAccountUsage.objects.bulk_create(
        DailyAccountUsage(workspace=workspace, account=account, day=today - dt.timedelta(days=n), events=3)
        for n in range(days)
    )
    return account


@pytest.fixture
def book(workspace: Workspace) -> dict[str, Account]:
    scorecard_publish(workspace=workspace, actor=None, text=PUBLISHED)
    # Overall today: 5 → 25 (red), 10 → 50 (yellow), 16 → 80 (green), 20 → 100 (green).
    return {
        "low": active(workspace, "Low", 5),
        "middle": active(workspace, "Middle", 10),
        "high": active(workspace, "High", 16, tier=Tier.ENTERPRISE),
        "top": active(workspace, "Top", 20, tier=Tier.ENTERPRISE),
    }


def test_a_stricter_draft_counts_the_accounts_that_change_band(workspace: Workspace, book: dict[str, Account]) -> None:
    # from 0 to 40: 5 → 12.5 red, 10 → 25 red, 16 → 40 yellow, 20 → 50 yellow.
    draft = PUBLISHED.replace("from: 0, to: 20", "from: 0, to: 40")
    result = preview_scorecard(workspace=workspace, text=draft)
    assert result.accounts == 4
    assert result.scored_by_draft == 4
    assert result.changed == 3
    assert result.transitions == {("red", "red"): 1, ("yellow", "red"): 1, ("green", "yellow"): 2}
    assert [m.name for m in result.movers] == ["Top", "High", "Middle", "Low"]
    assert (result.movers[0].before, result.movers[0].after) == (100.0, 50.0)
    assert result.movers[-1].band_before == result.movers[-1].band_after == "red"


def test_previewing_writes_nothing(workspace: Workspace, book: dict[str, Account]) -> None:
    versions = list(Scorecard.objects.values_list("name", "version", "status"))
    preview_scorecard(workspace=workspace, text=PUBLISHED.replace("to: 20", "to: 30"))
    assert list(Scorecard.objects.values_list("name", "version", "status")) == versions
    assert not HealthScore.objects.exists()


def test_a_new_scorecard_with_criteria_takes_only_the_accounts_it_matches(
    workspace: Workspace, book: dict[str, Account]
) -> None:
    draft = """\
name: Enterprise
applies_to: {tier: [enterprise]}
priority: 10
measures:
- kind: active_days
  scoring:
    linear: {from: 20, to: 28}
"""
    result = preview_scorecard(workspace=workspace, text=draft)
    assert result.scored_by_draft == 2
    assert result.transitions == {("red", "red"): 1, ("yellow", "yellow"): 1, ("green", "red"): 2}
    assert {m.scorecard_after for m in result.movers if m.name in ("High", "Top")} == {"Enterprise"}
    assert {m.scorecard_before for m in result.movers} == {"Activity"}


def test_an_unchanged_draft_moves_nobody(workspace: Workspace, book: dict[str, Account]) -> None:
    result = preview_scorecard(workspace=workspace, text=PUBLISHED)
    assert result.changed == 0
    assert result.movers == []


def test_an_invalid_draft_is_refused_with_its_line(workspace: Workspace, book: dict[str, Account]) -> None:
    broken = PUBLISHED.replace("kind: active_days", "kind: active_dayz")
    with pytest.raises(ValidationError) as error:
        preview_scorecard(workspace=workspace, text=broken, filename="draft.yaml")
    assert error.value.message_dict["definition"][0].startswith("draft.yaml:4:3: measures[0].kind:")


def test_criteria_are_checked_like_publishing_checks_them(workspace: Workspace, book: dict[str, Account]) -> None:
    draft = PUBLISHED.replace("applies_to: {default: true}", "applies_to: {tier: [galactic]}")
    with pytest.raises(ValidationError) as error:
        preview_scorecard(workspace=workspace, text=draft)
    assert "applies_to.tier" in error.value.message_dict["definition"][0]


def test_the_command_prints_the_transition_table(
    workspace: Workspace, book: dict[str, Account], tmp_path: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(PUBLISHED.replace("from: 0, to: 20", "from: 0, to: 40"), encoding="utf-8")
    out = StringIO()
    call_command("health", "preview", "--workspace", workspace.slug, str(draft), stdout=out)
    text = out.getvalue()
    assert "accounts would change band" in text
    assert "Band now → band under the draft" in text
    assert "Biggest movers:" in text


def test_the_command_reports_errors_by_file_and_line(
    workspace: Workspace, book: dict[str, Account], tmp_path: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    draft.write_text(PUBLISHED.replace("kind: active_days", "kind: active_dayz"), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was scored"):
        call_command("health", "preview", "--workspace", workspace.slug, str(draft), stderr=err)
    assert f"{draft}:4:3: measures[0].kind:" in err.getvalue()


def test_the_command_names_a_missing_file(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("health", "preview", "--workspace", workspace.slug, str(tmp_path / "nope.yaml"))
