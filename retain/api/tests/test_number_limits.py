"""Every number is checked against its column on the way in, the same on SQLite and PostgreSQL.

The probes, kept: an 18-digit amount in a 16-digit column was stored by SQLite and then broke every
page showing it for good; a seat count, an employee count or an id past what the column or SQLite
holds answered 500. Each is now a 400 naming the field, and the pages keep working.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from retain.accounts import services as account_services
from retain.accounts.imports import csv_import, run_problems
from retain.accounts.models import Account, Subscription
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.lib.columns import check_columns, column_error, parse_whole
from retain.renewals.expansion import expansion_signals_scan
from retain.renewals.models import ExpansionOpportunity, Renewal
from retain.renewals.services import renewal_update
from retain.renewals.tests.conftest import open_renewal
from retain.renewals.tests.test_expansion import use_seats
from retain.tenancy.models import Member, Workspace
from retain.tenancy.services import write_key_create

TOO_BIG = "1000000000000000.00"  # 16 digits before the point: the columns hold 14 (16 with cents)
# SQLite gives a decimal back with 15 significant digits: 99999999999999.99 would come back as 10**14.
LARGEST = "99999999999999.90"
W = "/w/acme/"


@pytest.fixture
def opportunity(account: Account) -> ExpansionOpportunity:
    use_seats(account, workspace_today(account.workspace), users=10, days=14)
    expansion_signals_scan(workspace=account.workspace)
    return ExpansionOpportunity.objects.get()


@pytest.fixture
def renewal(workspace: Workspace, account: Account) -> Renewal:
    return open_renewal(workspace, account, workspace_today(workspace))


def _pages_answer(carol: Member, *paths: str) -> None:
    client = Client()
    client.force_login(carol.user)
    for path in paths:
        assert client.get(path).status_code == 200, path


def test_an_expansion_amount_past_its_column_is_refused_and_the_pages_keep_working(
    opportunity: ExpansionOpportunity, carol: Member, olga: Member, client_for: ClientFor
) -> None:
    url = f"/api/v1/expansion-opportunities/{opportunity.pk}/"
    response = client_for(carol).patch(url, {"amount": TOO_BIG}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount"]
    assert client_for(olga).patch(url, {"amount": "1"}, format="json").status_code == 404
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("2400.00")
    assert client_for(carol).patch(url, {"amount": LARGEST}, format="json").status_code == 200
    _pages_answer(carol, W + "expansion/", W + f"accounts/{opportunity.account_id}/")
    assert client_for(carol).get(url).json()["amount"] == LARGEST


def test_a_renewal_forecast_past_its_column_is_refused_and_the_board_keeps_working(
    renewal: Renewal, carol: Member, olga: Member, client_for: ClientFor
) -> None:
    url = f"/api/v1/renewals/{renewal.pk}/"
    response = client_for(carol).patch(url, {"forecast_amount": TOO_BIG}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["forecast_amount"]
    assert client_for(olga).patch(url, {"forecast_amount": "1"}, format="json").status_code == 404
    forecast = {"forecast_category": "commit", "forecast_amount": LARGEST}
    assert client_for(carol).patch(url, forecast, format="json").status_code == 200
    _pages_answer(carol, W + "renewals/", W + "renewals/board.csv", W + f"renewals/{renewal.pk}/")


def test_the_renewal_service_refuses_an_amount_past_its_column(renewal: Renewal, carol: Member) -> None:
    with pytest.raises(ValidationError) as caught:
        renewal_update(renewal=renewal, actor=carol, forecast_amount=Decimal(TOO_BIG))
    assert list(caught.value.message_dict) == ["forecast_amount"]


@pytest.mark.parametrize("seats", [2**31, 2**63, 10**30])
def test_a_huge_seat_count_is_a_400_naming_seats(
    account: Account, carol: Member, olga: Member, client_for: ClientFor, seats: int
) -> None:
    body = {
        "account": account.pk, "product": "Suite", "currency": "USD", "seats": seats, "mrr": "10.00",
        "started_on": "2026-01-01", "term_end": "2027-01-01",
    }  # fmt: skip
    response = client_for(carol).post("/api/v1/subscriptions/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["seats"]
    assert client_for(olga).post("/api/v1/subscriptions/", body, format="json").status_code == 400  # not her account


def test_a_seat_change_past_the_column_is_refused_by_the_service(account: Account) -> None:
    subscription = Subscription.objects.get(account=account)
    with pytest.raises(ValidationError) as caught:
        account_services.subscription_change(
            subscription=subscription, actor=None, via="test", effective_on=dt.date.today(), seats=2**31
        )
    assert list(caught.value.message_dict) == ["seats"]


@pytest.mark.parametrize("value", ["99999999999999999999", "18446744073709551616", "-1", "1.5", "²"])
def test_a_list_filter_past_64_bits_or_not_an_id_is_a_400(
    account: Account, carol: Member, client_for: ClientFor, value: str
) -> None:
    for path in ("/api/v1/renewals/", "/api/v1/expansion-opportunities/", "/api/v1/subscriptions/"):
        response = client_for(carol).get(f"{path}?account={value}")
        assert response.status_code == 400, path
        assert list(response.json()["errors"]) == ["account"]


def test_a_list_filter_at_the_largest_id_finds_nothing(
    account: Account, carol: Member, olga: Member, client_for: ClientFor
) -> None:
    assert client_for(carol).get(f"/api/v1/renewals/?account={2**63 - 1}").json()["count"] == 0
    assert client_for(olga).get(f"/api/v1/subscriptions/?account={account.pk}").json()["count"] == 0


def test_a_csv_import_refuses_a_row_whose_number_its_column_cannot_hold(workspace: Workspace) -> None:
    content = (
        "External ID,Name,Employees,Annual revenue\n"
        "crm-20,Initech,3000000000,\n"
        'crm-21,Hooli,10,"1,000,000,000,000,000"\n'
        "crm-22,Umbrella,10,5\n"
    )
    result = csv_import(
        workspace=workspace, actor=None, kind="accounts", filename="accounts.csv",
        source=io.BytesIO(content.encode()), dry_run=False, allow_partial=True,
    )  # fmt: skip
    problems = " ".join(run_problems(result.run))
    assert "accounts.csv:2:Employees: must be at most 2,147,483,647" in problems
    assert "accounts.csv:3:Annual revenue: must be at most 99,999,999,999,999.90" in problems
    assert list(Account.objects.values_list("external_id", flat=True)) == ["crm-22"]


def test_a_group_call_with_an_employee_count_past_its_column_is_refused_alone(workspace: Workspace) -> None:
    raw = write_key_create(workspace=workspace, name="Product")[1]
    group = {"type": "group", "userId": "u1", "groupId": "g1", "messageId": "g", "traits": {"employees": 2**40}}
    track = {"type": "track", "userId": "u1", "event": "Signed In", "messageId": "t"}
    auth = "Basic " + base64.b64encode(f"{raw}:".encode()).decode()
    response = Client().post(
        "/v1/batch", json.dumps({"batch": [group, track]}), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    answer = response.json()
    assert answer["accepted"] == 1
    assert "employees" in answer["rejected"][0]["reason"]
    assert not Account.objects.filter(external_id="g1").exists()


def test_the_account_form_refuses_an_employee_count_past_its_column(account: Account, carol: Member) -> None:
    client = Client()
    client.force_login(carol.user)
    page = client.get(W + f"accounts/{account.pk}/edit/")
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update({"employees": str(2**31), "owner": carol.pk})
    response = client.post(W + f"accounts/{account.pk}/edit/", data)
    assert response.status_code in (200, 400)
    assert "employees" in response.context["form"].errors
    account.refresh_from_db()
    assert account.employees is None


@pytest.mark.parametrize("text", ["²", "٣", "99999999999999999999999", "-1", "11", "1e3", " ", ""])
def test_only_plain_digits_in_range_read_as_a_whole_number(text: str) -> None:
    assert parse_whole(text, low=0, high=10) is None
    assert parse_whole(" 7 ", low=0, high=10) == 7


def test_the_limits_come_from_the_model_fields() -> None:
    amount = ExpansionOpportunity._meta.get_field("amount")
    seats = Subscription._meta.get_field("seats")
    assert column_error(amount, Decimal(LARGEST)) is None
    assert column_error(amount, Decimal("99999999999999.91")) == "must be at most 99,999,999,999,999.90"
    assert column_error(amount, Decimal(TOO_BIG)) is not None
    assert column_error(seats, 2**31 - 1) is None
    assert column_error(seats, 2**31) == "must be at most 2,147,483,647"
    assert column_error(seats, -1) == "must be at least 0"
    with pytest.raises(ValidationError) as caught:
        check_columns(Subscription(seats=2**31, mrr=Decimal(TOO_BIG)))
    assert sorted(caught.value.message_dict) == ["mrr", "seats"]
