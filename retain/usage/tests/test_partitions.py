"""Events partitioned by month on PostgreSQL (retain/usage/partitions.py, migration 0004).

The suite builds its tables from the models, so each test here converts this database's plain
`usage_event` with the migration's own function (rows already there included) and converts it back
afterwards, which tests the reverse migration as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.tenancy.models import Workspace, WriteKey
from retain.tenancy.services import workspace_create, write_key_create
from retain.usage import partitions
from retain.usage.events import check_calls
from retain.usage.models import DailyAccountUsage, UsageEvent
from retain.usage.rollups import rollups_fold
from retain.usage.services import ingest_calls

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TODAY = dt.date(2026, 12, 6)
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def space() -> tuple[Workspace, WriteKey, Account]:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps one table")
    workspace = workspace_create(name="Parted", slug="parted")
    key = write_key_create(workspace=workspace, name="Product")[0]
    account = account_services.account_create(workspace=workspace, actor=None, via="test", name="A", external_id="a")
    return workspace, key, account


@pytest.fixture
def partitioned(space: tuple[Workspace, WriteKey, Account]) -> Iterator[tuple[Workspace, WriteKey, Account]]:
    # One event written before the conversion: the conversion keeps it, its id and its key.
    send(space[1], track("before", "2026-10-15T10:00:00Z"))
    with connection.schema_editor() as editor:
        partitions.convert(editor, today=TODAY)
    try:
        yield space
    finally:
        if partitions.is_partitioned():
            with connection.schema_editor() as editor:
                partitions.convert_back(editor)


def track(message_id: str, at: str, group: str = "a") -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Report Viewed", "timestamp": at,
            "messageId": message_id, "context": {"groupId": group}}  # fmt: skip


def send(key: WriteKey, *calls: dict[str, Any]) -> tuple[int, int]:
    checked = check_calls({"batch": list(calls)}, default_type=None, received_at=NOW)
    assert not checked.rejections, checked.rejections
    result = ingest_calls(write_key=key, checked=checked, received_at=NOW, raw_calls=list(calls))
    return result.accepted, result.duplicates


def _rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return int(cursor.fetchone()[0])


def test_conversion_keeps_rows_and_later_events_go_to_their_month(partitioned: Any) -> None:
    _, key, _ = partitioned
    assert partitions.is_partitioned()
    names = dict(partitions.partitions_list())
    assert names["usage_event_p2026_10"] == 1  # the event from before the conversion
    assert {"usage_event_p2026_12", "usage_event_p2027_03", "usage_event_default"} <= set(names)
    assert send(key, track("n1", "2026-12-01T00:00:00Z"), track("n2", "2026-11-30T23:59:59Z")) == (2, 0)
    names = dict(partitions.partitions_list())
    assert names["usage_event_p2026_12"] == 1
    assert names["usage_event_default"] == 1  # November 2026 had no partition: no event was lost
    assert UsageEvent.objects.count() == 3


def test_a_resent_event_is_a_duplicate_even_with_another_time(partitioned: Any) -> None:
    _, key, _ = partitioned
    assert send(key, track("same", "2026-12-02T10:00:00Z")) == (1, 0)
    # A resend whose time puts it in another month is still the same event: refused by its key.
    assert send(key, track("same", "2027-01-02T10:00:00Z"), track("other", "2027-01-02T10:00:00Z")) == (1, 1)
    assert send(key, track("before", "2026-12-03T10:00:00Z")) == (0, 1)  # kept by the conversion too
    assert UsageEvent.objects.filter(message_id="same").count() == 1


def test_creating_a_month_adopts_its_events_from_the_default_partition(partitioned: Any) -> None:
    _, key, _ = partitioned
    send(key, track("far", "2027-06-10T10:00:00Z"))
    assert dict(partitions.partitions_list())["usage_event_default"] == 1
    created = partitions.months_ensure(today=dt.date(2027, 5, 20), ahead=1)
    assert created == ["usage_event_p2027_05", "usage_event_p2027_06"]
    names = dict(partitions.partitions_list())
    assert names["usage_event_p2027_06"] == 1
    assert names["usage_event_default"] == 0
    assert partitions.months_ensure(today=dt.date(2027, 5, 20), ahead=1) == []  # idempotent


def test_since_creates_the_past_months_too_adopting_their_events(partitioned: Any) -> None:
    """A bulk load of past events (the scale bench's COPY) first makes the months it goes into."""
    _, key, _ = partitioned
    send(key, track("old", "2026-07-15T10:00:00Z"))
    assert dict(partitions.partitions_list())["usage_event_default"] == 1
    created = partitions.months_ensure(today=TODAY, ahead=0, since=dt.date(2026, 7, 31))
    # October and December exist since the conversion (an event of October, and today's month).
    assert created == ["usage_event_p2026_07", "usage_event_p2026_08", "usage_event_p2026_09", "usage_event_p2026_11"]
    names = dict(partitions.partitions_list())
    assert names["usage_event_p2026_07"] == 1 and names["usage_event_default"] == 0


def test_a_month_query_reads_only_its_partition(partitioned: Any) -> None:
    workspace, _, _ = partitioned
    query = UsageEvent.objects.filter(
        workspace=workspace,
        timestamp__gte=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        timestamp__lt=dt.datetime(2026, 12, 8, tzinfo=dt.UTC),
    )
    plan = query.explain()
    assert "usage_event_p2026_12" in plan
    assert "usage_event_p2026_10" not in plan and "usage_event_default" not in plan


def test_the_fold_reads_partitioned_events(partitioned: Any) -> None:
    workspace, key, account = partitioned
    send(key, track("f1", "2026-12-02T10:00:00Z"), track("f2", "2026-12-02T11:00:00Z"))
    rollups_fold(workspace=workspace)
    day = DailyAccountUsage.objects.get(account=account, day=dt.date(2026, 12, 2))
    assert day.events == 2


def test_retention_drops_whole_folded_months_and_their_keys(partitioned: Any) -> None:
    workspace, _, _ = partitioned
    # October is not folded yet: its partition is kept however old it is.
    assert partitions.months_drop_expired(cutoff=dt.date(2026, 11, 15)).partitions == []
    rollups_fold(workspace=workspace)
    dropped = partitions.months_drop_expired(cutoff=dt.date(2026, 11, 15))
    assert dropped.partitions == ["usage_event_p2026_10"]
    assert dropped.keys_deleted == 1
    assert "usage_event_p2026_10" not in dict(partitions.partitions_list())
    assert _rows("usage_event_key") == 0
    assert UsageEvent.objects.count() == 0
    # The month's rollups stay: retention removes raw events only.
    assert DailyAccountUsage.objects.filter(workspace=workspace, day=dt.date(2026, 10, 15)).exists()


def test_converting_back_gives_the_plain_table_with_its_unique_key(partitioned: Any) -> None:
    _, key, _ = partitioned
    send(key, track("kept", "2026-12-02T10:00:00Z"))
    with connection.schema_editor() as editor:
        partitions.convert_back(editor)
    assert not partitions.is_partitioned()
    assert set(UsageEvent.objects.values_list("message_id", flat=True)) == {"before", "kept"}
    assert send(key, track("kept", "2026-12-09T10:00:00Z"), track("new", "2026-12-09T10:00:00Z")) == (1, 1)
