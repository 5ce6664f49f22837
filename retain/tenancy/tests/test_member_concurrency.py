"""Two admins stepping down at the same moment: one of them stays admin (real concurrent connections)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from retain.tenancy.models import Member
from retain.tenancy.services import member_update

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_on_a_lock(deadline_seconds: float = 15) -> bool:
    """True once another connection waits for a row lock; False when none does by the deadline."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)  # a polling interval, bounded by the deadline
    return False


def test_two_admins_demoting_each_other_at_once_leave_one_admin(alice: Member, mark: Member) -> None:
    member_update(actor=alice, member=mark, role="admin")
    mark.refresh_from_db()
    first_holds_its_lock = threading.Event()
    release_first = threading.Event()
    outcomes: dict[str, BaseException | None] = {}

    def step_down(who: Member, hold: bool) -> None:
        try:
            with transaction.atomic():
                member_update(actor=who, member=who, role="manager")
                if hold:
                    first_holds_its_lock.set()
                    release_first.wait(timeout=30)
            outcomes[who.user.first_name] = None
        except BaseException as exc:
            outcomes[who.user.first_name] = exc
        finally:
            connection.close()

    first = threading.Thread(target=step_down, args=(alice, True))
    first.start()
    assert first_holds_its_lock.wait(timeout=30)
    second = threading.Thread(target=step_down, args=(mark, False))
    second.start()
    try:
        assert _waiting_on_a_lock(), "Mark's change did not wait for Alice's"
    finally:
        release_first.set()
        first.join()
        second.join()
    assert outcomes["Alice"] is None
    assert isinstance(outcomes["Mark"], ValidationError)
    roles = dict(Member.objects.filter(pk__in=[alice.pk, mark.pk]).values_list("user__first_name", "role"))
    assert roles == {"Alice": "manager", "Mark": "admin"}
