"""List endpoints cost the same number of queries for 5 rows as for 50."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from retain.accounts import services
from retain.accounts.models import Account, Segment
from retain.api.tests.conftest import ClientFor
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import member_add

pytestmark = pytest.mark.urls("retain.api.tests.urls")

TOP_LEVEL = [
    "/api/v1/accounts/",
    "/api/v1/accounts/?tier=enterprise&renewal_within_days=400&sort=-renewal",
    "/api/v1/contacts/",
    "/api/v1/subscriptions/",
    "/api/v1/touchpoints/",
    "/api/v1/members/",
    "/api/v1/segments/",
    "/api/v1/segments/{segment}/accounts/",
]


def _grow_book(workspace: Workspace, first: int, last: int) -> None:
    """Accounts first..last-1, each with its own CSM, a contact, a subscription, a touchpoint, a segment."""
    today = dt.date.today()
    for n in range(first, last):
        csm = member_add(workspace=workspace, email=f"csm{n}@acme.example", role="csm")
        account = services.account_create(
            workspace=workspace, actor=None, via="test", name=f"Account {n:03}", tier="enterprise", owner=csm
        )
        contact = services.contact_create(account=account, actor=None, via="test", email=f"c{n}@example.com")
        services.subscription_create(
            account=account,
            actor=None,
            via="test",
            product="Hub",
            mrr=Decimal(100 + n),
            started_on=today - dt.timedelta(days=30),
            term_end=today + dt.timedelta(days=300),
        )
        services.touchpoint_log(
            account=account,
            actor=csm,
            via="test",
            kind="call",
            occurred_at=timezone.now(),
            summary="Check-in",
            contacts=[contact],
        )
        services.segment_create(workspace=workspace, actor=csm, name=f"Segment {n:03}", criteria={})


def _measure(client: APIClient, path: str) -> tuple[int, int]:
    """(queries, rows) of one list request with a page large enough for every row."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, {"limit": 100})
    assert response.status_code == 200, response.json()
    return len(queries), len(response.json()["results"])


def test_top_level_lists_cost_the_same_for_5_and_50_rows(
    workspace: Workspace, mark: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    client.get("/api/v1/members/")  # the token's last-used stamp is written on first use only
    _grow_book(workspace, 0, 5)
    segment = Segment.objects.get(name="Segment 000")
    paths = [path.format(segment=segment.pk) for path in TOP_LEVEL]
    small = {path: _measure(client, path) for path in paths}
    _grow_book(workspace, 5, 50)
    large = {path: _measure(client, path) for path in paths}
    for path in paths:
        assert small[path][1] >= 5 and large[path][1] >= 50, path
        assert large[path][0] == small[path][0], f"{path}: {small[path][0]} queries for 5 rows, {large[path][0]} for 50"


def test_timeline_and_movements_cost_the_same_for_5_and_50_rows(
    account: Account, mark: Member, client_for: ClientFor
) -> None:
    client = client_for(mark)
    client.get("/api/v1/members/")
    subscription = account.subscriptions.get()
    paths = [f"/api/v1/accounts/{account.pk}/timeline/", f"/api/v1/subscriptions/{subscription.pk}/movements/"]

    def change_mrr(times: int) -> None:
        for n in range(times):
            last = subscription.movements.order_by("-effective_on").values_list("mrr_after", flat=True).first()
            services.subscription_change(
                subscription=subscription,
                actor=mark,
                via="test",
                effective_on=dt.date.today(),
                mrr=Decimal(last or 0) + 1 + n,
            )

    change_mrr(4)
    small = {path: _measure(client, path) for path in paths}
    change_mrr(50)
    large = {path: _measure(client, path) for path in paths}
    for path in paths:
        assert small[path][1] >= 5 and large[path][1] >= 50, path
        assert large[path][0] == small[path][0], path
