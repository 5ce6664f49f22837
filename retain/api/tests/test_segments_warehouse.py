"""Segments filter by a warehouse measure: {"warehouse": {"<key>": {"min": …, "max": …}}}."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from retain.accounts import services as account_services
from retain.accounts.models import Account
from retain.accounts.selectors import segment_accounts, workspace_today
from retain.api.tests.conftest import ClientFor
from retain.health.models import WarehouseConnection, WarehouseMeasure, WarehouseValue
from retain.tenancy.models import Member, Workspace


def _measure(workspace: Workspace) -> WarehouseMeasure:
    connection = WarehouseConnection.objects.create(workspace=workspace, name="Lake", url="duckdb:////srv/l.duckdb")
    return WarehouseMeasure.objects.create(
        workspace=workspace, connection=connection, key="seats_used", name="Seats used", sql="SELECT 1"
    )


@pytest.fixture
def seats(workspace: Workspace, account: Account, carol: Member) -> dict[str, Account]:
    """Globex's latest value 12 (an older 2 ignored), Initech 4, Umbrella's only value 30 days old."""
    today = workspace_today(workspace)
    measure = _measure(workspace)
    initech = account_services.account_create(workspace=workspace, actor=None, via="test", name="Initech")
    umbrella = account_services.account_create(workspace=workspace, actor=None, via="test", name="Umbrella")
    for target, offset, value in ((account, 5, 2.0), (account, 1, 12.0), (initech, 0, 4.0), (umbrella, 30, 50.0)):
        WarehouseValue.objects.create(
            workspace=workspace, measure=measure, account=target, day=today - dt.timedelta(days=offset), value=value
        )
    return {"globex": account, "initech": initech, "umbrella": umbrella}


def test_a_segment_keeps_the_accounts_whose_latest_fresh_value_is_within_bounds(
    workspace: Workspace, seats: dict[str, Account]
) -> None:
    over_ten = account_services.segment_create(
        workspace=workspace, actor=None, name="Busy seats", criteria={"warehouse": {"seats_used": {"min": 10}}}
    )
    assert list(segment_accounts(over_ten)) == [seats["globex"]]
    few = account_services.segment_create(
        workspace=workspace, actor=None, name="Few seats", criteria={"warehouse": {"seats_used": {"max": 5}}}
    )
    assert list(segment_accounts(few)) == [seats["initech"]]  # Umbrella's value is stale: no value


@pytest.mark.parametrize(
    ("criterion", "words"),
    [
        ({"seats used": {"min": 1}}, "is not a warehouse measure key"),
        ({"seats_used": {"least": 1}}, "seats_used: must be"),
        ({"seats_used": {"min": "ten"}}, "seats_used.min: must be a finite number"),
        ({"seats_used": {"min": 5, "max": 1}}, "min must not be above max"),
        ("seats_used", "must be an object"),
    ],
)
def test_a_bad_criterion_is_refused_naming_it(workspace: Workspace, criterion: object, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        account_services.segment_create(workspace=workspace, actor=None, name="Bad", criteria={"warehouse": criterion})
    assert "warehouse" in refused.value.message_dict
    assert words in refused.value.message_dict["warehouse"][0]


def test_the_api_saves_and_evaluates_it_and_an_outsider_sees_nothing(
    seats: dict[str, Account], carol: Member, olga: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    criteria = {"warehouse": {"seats_used": {"min": 10}}}
    response = client.post("/api/v1/segments/", {"name": "Busy seats", "criteria": criteria}, format="json")
    assert response.status_code == 201, response.json()
    segment_id = response.json()["id"]
    listed = client.get(f"/api/v1/segments/{segment_id}/accounts/").json()["results"]
    assert [row["name"] for row in listed] == ["Globex"]
    assert client_for(olga).get(f"/api/v1/segments/{segment_id}/accounts/").status_code == 404
    bad = client.post(
        "/api/v1/segments/", {"name": "Bad", "criteria": {"warehouse": {"x": {"min": "a"}}}}, format="json"
    )
    assert bad.status_code == 400 and "warehouse" in str(bad.json())
