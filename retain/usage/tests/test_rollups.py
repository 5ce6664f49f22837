"""Daily rollups: incremental, idempotent, and identical to a rebuild from raw events."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import workspace_update, write_key_create
from retain.usage.events import check_calls
from retain.usage.models import DailyAccountUsage, DailyFeatureUsage, DailyUserUsage, RollupDirty
from retain.usage.rollups import rollups_fold, rollups_rebuild
from retain.usage.services import ingest_calls

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def key(workspace: Workspace) -> WriteKey:
    return write_key_create(workspace=workspace, name="Product")[0]


@pytest.fixture
def initech(workspace: Workspace) -> Account:
    return account_services.account_create(
        workspace=workspace, actor=None, via="test", name="Initech", external_id="acct-1"
    )


def send(key: WriteKey, *calls: dict[str, Any]) -> None:
    checked = check_calls({"batch": list(calls)}, default_type=None, received_at=NOW)
    assert not checked.rejections, checked.rejections
    ingest_calls(write_key=key, checked=checked, received_at=NOW, raw_calls=list(calls))


_counter = iter(range(1, 10**9))


def track(user: str, name: str, at: str, group: str | None = "acct-1", **properties: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "type": "track",
        "userId": user,
        "event": name,
        "timestamp": at,
        "messageId": f"m{next(_counter)}",
    }
    if group:
        call["context"] = {"groupId": group}
    if properties:
        call["properties"] = properties
    return call


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "accounts": sorted(
            DailyAccountUsage.objects.values_list(
                "account_id",
                "day",
                "events",
                "active_users",
                "logins",
                "tickets_created",
                "tickets_escalated",
                "tickets_solved",
                "key_events",
            ),
            key=repr,
        ),
        "users": sorted(DailyUserUsage.objects.values_list("account_id", "user_id", "day", "events")),
        "features": sorted(DailyFeatureUsage.objects.values_list("account_id", "feature", "day", "events")),
    }


def test_a_day_of_usage_is_folded_by_role(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    send(
        key,
        track("ann", "Signed In", "2026-11-19T09:00:00Z"),
        track("ann", "Report Viewed", "2026-11-19T09:05:00Z", feature="reports"),
        track("bob", "Signed In", "2026-11-19T10:00:00Z"),
        track("bob", "Ticket Created", "2026-11-19T10:30:00Z"),
        track("bob", "Blog Migrated", "2026-11-19T11:00:00Z"),
        track("bob", "Landing Page Edited", "2026-11-19T11:30:00Z"),
    )
    result = rollups_fold(workspace=workspace)
    assert result.events_folded == 6
    day = DailyAccountUsage.objects.get(account=initech)
    assert (day.day, day.events, day.active_users, day.logins, day.tickets_created) == (
        dt.date(2026, 11, 19),
        6,
        2,
        2,
        1,
    )
    assert day.key_events == {"Blog Migrated": 1}
    assert sorted(DailyFeatureUsage.objects.values_list("feature", "events")) == [
        ("Landing Page Edited", 1),
        ("reports", 1),
    ]


def test_days_are_calendar_days_in_the_workspace_time_zone(
    workspace: Workspace, key: WriteKey, initech: Account
) -> None:
    workspace_update(workspace=workspace, time_zone="America/New_York")
    send(key, track("ann", "Signed In", "2026-11-19T03:00:00Z"))  # 22:00 on the 18th in New York
    rollups_fold(workspace=workspace)
    assert DailyAccountUsage.objects.get().day == dt.date(2026, 11, 18)


def test_folding_again_changes_nothing(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    send(key, track("ann", "Signed In", "2026-11-19T09:00:00Z"))
    rollups_fold(workspace=workspace)
    before = snapshot()
    assert rollups_fold(workspace=workspace).events_folded == 0
    assert snapshot() == before


def test_incremental_folds_equal_a_rebuild_from_raw(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    account_services.account_create(workspace=workspace, actor=None, via="test", name="Hooli", external_id="acct-2")
    rng = random.Random(7)
    names = ["Signed In", "Report Viewed", "Workflow Activated", "Ticket Created", "Ticket Solved", "Form Built"]
    for _ in range(12):
        calls = [
            track(
                rng.choice(["ann", "bob", "cy", "di"]),
                rng.choice(names),
                f"2026-11-{rng.randint(1, 19):02d}T{rng.randint(0, 23):02d}:00:00Z",
                group=rng.choice(["acct-1", "acct-2"]),
                **({"feature": rng.choice(["forms", "reports"])} if rng.random() < 0.3 else {}),
            )
            for _ in range(rng.randint(1, 30))
        ]
        send(key, *calls)
        rollups_fold(workspace=workspace)
    incremental = snapshot()
    assert incremental["accounts"]
    rollups_rebuild(workspace=workspace)
    assert snapshot() == incremental


def test_events_before_the_group_call_count_once_it_arrives(workspace: Workspace, key: WriteKey) -> None:
    # The product tracks a new user's first steps before it tells us their company.
    send(key, track("newbie", "Signed In", "2026-11-18T09:00:00Z", group=None))
    rollups_fold(workspace=workspace)
    assert not DailyAccountUsage.objects.exists()
    send(
        key,
        {"type": "group", "userId": "newbie", "groupId": "acct-9", "messageId": "g-9", "traits": {"name": "Vandelay"}},
    )
    assert RollupDirty.objects.count() == 1
    send(key, track("newbie", "Report Viewed", "2026-11-19T09:00:00Z", group=None))
    rollups_fold(workspace=workspace)
    rows = sorted(DailyAccountUsage.objects.values_list("account__name", "day", "events", "logins"))
    assert rows == [("Vandelay", dt.date(2026, 11, 18), 1, 1), ("Vandelay", dt.date(2026, 11, 19), 1, 0)]
    incremental = snapshot()
    rollups_rebuild(workspace=workspace)
    assert snapshot() == incremental


def test_identify_and_group_calls_are_not_activity(workspace: Workspace, key: WriteKey, initech: Account) -> None:
    send(
        key,
        {"type": "group", "userId": "ann", "groupId": "acct-1", "messageId": "g1", "timestamp": "2026-11-19T09:00:00Z"},
    )
    rollups_fold(workspace=workspace)
    assert not DailyAccountUsage.objects.exists()


def test_the_minutely_job_folds_only_workspaces_with_new_events(
    workspace: Workspace, key: WriteKey, initech: Account
) -> None:
    from retain.usage.jobs import fold_usage

    send(key, track("ann", "Signed In", "2026-11-19T09:00:00Z"), track("bob", "Signed In", "2026-11-19T09:00:00Z"))
    assert fold_usage.delay().get() == 2
    assert fold_usage.delay().get() == 0
    assert DailyAccountUsage.objects.get().active_users == 2


def test_expired_raw_events_go_and_their_rollups_stay(
    workspace: Workspace, key: WriteKey, initech: Account, settings: Any
) -> None:
    from retain.usage.models import UsageEvent
    from retain.usage.rollups import events_expire

    settings.EVENT_RETENTION_DAYS = 30
    today = dt.date(2026, 11, 20)
    send(key, track("ann", "Signed In", "2026-10-01T09:00:00Z"), track("ann", "Signed In", "2026-11-19T09:00:00Z"))
    assert events_expire(workspace=workspace, today=today) == 0  # not folded yet: kept
    rollups_fold(workspace=workspace)
    before = snapshot()
    assert events_expire(workspace=workspace, today=today) == 1
    assert UsageEvent.objects.count() == 1
    rollups_rebuild(workspace=workspace, today=today)
    assert snapshot() == before


def test_daily_history_older_than_the_raw_events_survives_a_rebuild(
    workspace: Workspace, key: WriteKey, initech: Account
) -> None:
    # Daily usage brought in without raw events behind it (an older system's export, the demo's
    # older months) cannot be recomputed, so a rebuild or a late attribution must not erase it.
    DailyAccountUsage.objects.create(workspace=workspace, account=initech, day=dt.date(2026, 8, 1), events=40, logins=5)
    DailyUserUsage.objects.create(
        workspace=workspace, account=initech, user_id="ann", day=dt.date(2026, 8, 1), events=40
    )
    send(key, track("ann", "Signed In", "2026-11-19T09:00:00Z"))
    rollups_fold(workspace=workspace)
    before = snapshot()
    rollups_rebuild(workspace=workspace, today=dt.date(2026, 11, 20))
    assert snapshot() == before
    RollupDirty.objects.create(workspace=workspace, account=initech)
    rollups_fold(workspace=workspace)
    assert snapshot() == before


def test_a_fold_commits_chunk_by_chunk_and_a_fold_stopped_part_way_goes_on_from_its_last_chunk(
    transactional_db: None, workspace: Workspace, key: WriteKey, initech: Account
) -> None:
    from retain.usage.models import RollupState

    send(key, *[track(f"u{i % 3}", "Signed In", f"2026-11-{1 + i % 9:02d}T09:00:00Z") for i in range(10)])

    class Stopped(Exception):
        pass

    committed: list[int] = []

    def stop_after_two_chunks(done: int, total: int) -> None:
        # What another connection sees: each chunk is committed before the next one starts.
        committed.append(RollupState.objects.get(workspace=workspace).last_event_id)
        assert total == 10
        if done == 6:
            raise Stopped

    with pytest.raises(Stopped):
        rollups_fold(workspace=workspace, chunk=3, progress=stop_after_two_chunks)
    assert len(committed) == 2 and committed[0] < committed[1]
    assert sum(DailyAccountUsage.objects.values_list("events", flat=True)) == 6
    rest = rollups_fold(workspace=workspace, chunk=3)
    assert rest.events_folded == 4
    incremental = snapshot()
    assert sum(row[2] for row in incremental["accounts"]) == 10
    rollups_rebuild(workspace=workspace)
    assert snapshot() == incremental


def test_late_attributed_accounts_are_recomputed_in_chunks_alike(
    workspace: Workspace, key: WriteKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        send(key, track(f"late{n}", "Signed In", "2026-11-18T09:00:00Z", group=None))
    rollups_fold(workspace=workspace, chunk=2)
    for n in range(5):
        send(key, {"type": "group", "userId": f"late{n}", "groupId": f"g-{n}", "messageId": f"gc-{n}"})
        send(key, track(f"late{n}", "Report Viewed", "2026-11-19T09:00:00Z", group=None))
    assert RollupDirty.objects.count() == 5
    monkeypatch.setattr("retain.usage.rollups.DIRTY_CHUNK", 2)
    result = rollups_fold(workspace=workspace, chunk=2)
    assert (result.accounts_recomputed, result.events_folded, len(result.account_ids)) == (5, 5, 5)
    assert not RollupDirty.objects.exists()
    incremental = snapshot()
    assert sum(row[2] for row in incremental["accounts"]) == 10
    rollups_rebuild(workspace=workspace)
    assert snapshot() == incremental


def test_visits_leads_and_sales_are_counted_per_day_for_measured_milestones(
    workspace: Workspace, key: WriteKey, initech: Account
) -> None:
    page = {"type": "page", "userId": "ann", "name": "Pricing", "timestamp": "2026-11-19T08:00:00Z"}
    send(
        key,
        {**page, "messageId": "p1", "context": {"groupId": "acct-1"}},
        track("ann", "Page Viewed", "2026-11-19T08:10:00Z"),
        track("ann", "Lead Created", "2026-11-19T09:00:00Z"),
        track("ann", "Lead Created", "2026-11-19T09:30:00Z"),
        track("ann", "Lead Converted", "2026-11-19T10:00:00Z"),
    )
    rollups_fold(workspace=workspace)
    day = DailyAccountUsage.objects.get(account=initech)
    assert day.key_events == {"Page Viewed": 2, "Lead Created": 2, "Lead Converted": 1}
    # They stay activity, and a tracked Page Viewed or Lead Converted is still a feature use.
    assert day.events == 5
    assert sorted(DailyFeatureUsage.objects.values_list("feature", "events")) == [
        ("Lead Converted", 1),
        ("Page Viewed", 1),
    ]
