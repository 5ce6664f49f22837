"""Two people completing the same task at once: one wins, the timeline gets one entry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from retain.accounts.choices import EntryKind
from retain.accounts.models import Account, TimelineEntry
from retain.tasks import services
from retain.tasks.models import Task
from retain.tenancy.models import Member


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_completions_write_one_entry(account: Account, carol: Member, mark: Member) -> None:
    task = services.task_create(account=account, title="Call", kind="call", due_on=dt.date(2026, 3, 2), owner=carol)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(actor: Member) -> None:
        try:
            barrier.wait()
            services.task_complete(task=Task.objects.get(pk=task.pk), actor=actor, outcome=actor.display_name)
            outcomes.append("done")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(who,)) for who in (carol, mark)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    assert TimelineEntry.objects.filter(account=account, kind=EntryKind.TASK_COMPLETED).count() == 1
