"""`retain bench health` at toy scale: the raw reference agrees with Retain, and both data paths agree."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from retain.health.bench import (
    DayPlan,
    _create_accounts,
    _write_events,
    _write_rollups,
    plan_accounts,
    plan_days,
    work,
)
from retain.tenancy.services import workspace_create
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage, DailyUserUsage
from retain.usage.rollups import rollups_fold


def result_of(output: str) -> dict[str, object]:
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    figures: dict[str, object] = json.loads(line.removeprefix("RESULT "))
    return figures


@pytest.mark.django_db
def test_the_raw_reference_writes_the_same_scores_as_retain_from_folded_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    work(30, 4000)  # raises when rows or sampled scores differ
    figures = result_of(capsys.readouterr().out)
    assert figures["accounts"] == 30
    assert figures["checked"] == 30
    assert figures["notes"] == []
    assert float(str(figures["rescore_s"])) > 0 and float(str(figures["raw_s"])) > 0


@pytest.mark.django_db
def test_above_the_fold_sample_rollups_are_written_directly_and_a_sample_is_folded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    work(30, 4000, fold_sample=1000)
    figures = result_of(capsys.readouterr().out)
    assert figures["checked"] == 30
    notes = figures["notes"]
    assert isinstance(notes, list) and notes[0].startswith("rollup_s is the fold of a")


def test_rollups_written_directly_equal_the_fold_of_the_same_events(db: None) -> None:
    plans = plan_accounts(12, seed=3)
    day = dt.date(2026, 3, 1)

    def days(index: int) -> Iterator[DayPlan]:
        return plan_days(index, plans[index], day, 4.0, seed=3)

    folded = workspace_create(name="Folded", slug="folded")
    direct = workspace_create(name="Direct", slug="direct")
    folded_ids = _create_accounts(folded, plans, day)
    direct_ids = _create_accounts(direct, plans, day)
    _write_events(folded.pk, folded_ids, days)
    rollups_fold(workspace=folded)
    _write_rollups(direct.pk, direct_ids, days)

    def rows(workspace_id: int, ids: list[int]) -> tuple[set[Any], set[Any], set[Any]]:
        index = {account_id: n for n, account_id in enumerate(ids)}
        accounts = {
            (index[a], d, e, u, lg, tc, ts)
            for a, d, e, u, lg, tc, ts in DailyAccountUsage.objects.filter(workspace_id=workspace_id).values_list(
                "account_id", "day", "events", "active_users", "logins", "tickets_created", "tickets_solved"
            )
        }
        users = {
            (index[a], user, d, e)
            for a, user, d, e in DailyUserUsage.objects.filter(workspace_id=workspace_id).values_list(
                "account_id", "user_id", "day", "events"
            )
        }
        features = {
            (index[a], f, d, e)
            for a, f, d, e in DailyFeatureUsage.objects.filter(workspace_id=workspace_id).values_list(
                "account_id", "feature", "day", "events"
            )
        }
        return accounts, users, features

    expected = rows(folded.pk, folded_ids)
    assert expected[0], "the plan produced no usage"
    assert rows(direct.pk, direct_ids) == expected
