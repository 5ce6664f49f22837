"""Overlapping runs of the renewal-window job write each fact once (real concurrent connections)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from retain.accounts import services
from retain.accounts.choices import EntryKind
from retain.accounts.models import TimelineEntry
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_overlapping_runs_open_each_window_once(workspace: Workspace) -> None:
    today = dt.date(2026, 6, 1)
    for number in range(20):
        account = services.account_create(workspace=workspace, actor=None, via="test", name=f"Account {number}")
        services.subscription_create(
            account=account, actor=None, via="test", product="Core", mrr=Decimal(100),
            started_on=today - dt.timedelta(days=300), term_end=today + dt.timedelta(days=number + 1),
        )  # fmt: skip
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            services.renewal_windows_open(workspace=workspace, today=today)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert TimelineEntry.objects.filter(kind=EntryKind.RENEWAL_WINDOW_OPENED).count() == 20
