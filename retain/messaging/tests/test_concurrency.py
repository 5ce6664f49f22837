"""Overlapping sweeps on real concurrent PostgreSQL connections: every message is sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from retain.accounts.models import Account
from retain.messaging import services
from retain.messaging.choices import DeliveryStatus
from retain.messaging.models import OutboundMessage
from retain.messaging.tests.receivers import http_receiver
from retain.tenancy.models import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 300


def test_two_sweeps_at_once_each_claim_some_and_no_message_is_sent_twice(
    workspace: Workspace, account: Account
) -> None:
    with http_receiver([200]) as (receiver, url):
        for n in range(MESSAGES):
            services.webhook_enqueue(
                workspace=workspace,
                account=account,
                channel="webhook",
                url=url,
                payload={"n": n},
                idempotency_key=f"k{n}",
            )
        start = threading.Barrier(2)
        sent: list[int] = []
        errors: list[BaseException] = []

        def sweep() -> None:
            try:
                start.wait()
                # Small batches so that both sweeps are claiming while the other one sends.
                while count := services.deliveries_send_due(limit=20):
                    sent.append(count)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sum(sent) == MESSAGES
    keys = Counter(headers["idempotency-key"] for headers, _ in receiver.requests)
    assert len(keys) == MESSAGES and set(keys.values()) == {1}
    assert OutboundMessage.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == MESSAGES
    workers = set(OutboundMessage.objects.values_list("claimed_by", flat=True))
    assert len(workers) == 2
