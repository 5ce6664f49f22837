"""The spend and quota page, the revenue dashboard's CAC/CRC row, and one CSM's book page: members
read them (the viewer too), outsiders get 404, only managers and admins edit; every table downloads
as CSV; the book page's query count stays fixed however big the book."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.health.choices import Band
from retain.health.tests.test_models import score, scorecard
from retain.metrics import services
from retain.metrics.models import Quota, Spend
from retain.metrics.tests.test_spend import Q1  # the seed's CAC and CRC ledger
from retain.metrics.tests.test_spend import ledger as ledger
from retain.renewals.models import Renewal
from retain.renewals.services import renewals_open
from retain.renewals.tests.conftest import give_churn_risk, make_account
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db

Q1_QUERY = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def spend_url(slug: str = "acme") -> str:
    return reverse("spend", args=[slug])


def book_url(member: Member, slug: str = "acme") -> str:
    return reverse("book", args=[slug, member.pk])


def csv_table(response: Any) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


SPEND_POST = {
    "action": "spend",
    "category": "sales_marketing",
    "period_start": "2026-01-01",
    "period_end": "2026-03-31",
    "amount": "12000",
    "note": "Q1 campaigns",
}


# Spend and quotas --------------------------------------------------------------------------------


def test_outsider_gets_404(client: Client, olga: Member, carol: Member) -> None:
    login(client, olga)
    assert client.get(spend_url()).status_code == 404
    assert client.post(spend_url(), SPEND_POST).status_code == 404
    assert client.get(book_url(carol)).status_code == 404


def test_it_requires_login(client: Client, workspace: Workspace) -> None:
    assert client.get(spend_url()).status_code == 302


def test_a_viewer_reads_but_cannot_enter_spend(client: Client, vic: Member, workspace: Workspace) -> None:
    services.spend_set(
        workspace=workspace, actor=None, category="customer_success", period_start=Q1.start, period_end=Q1.end, amount=5
    )
    response = login(client, vic).get(spend_url())
    assert response.status_code == 200
    assert "Customer success" in response.content.decode() and 'id="spend-form"' not in response.content.decode()
    assert client.post(spend_url(), SPEND_POST).status_code == 403
    assert not Spend.objects.filter(category="sales_marketing").exists()


def test_a_csm_cannot_enter_spend_or_quotas(client: Client, carol: Member) -> None:
    login(client, carol)
    assert client.post(spend_url(), SPEND_POST).status_code == 403
    quota = {"action": "quota", "member": carol.pk, "period_start": "2026-01-01", "period_end": "2026-12-31"}
    assert client.post(spend_url(), quota).status_code == 403
    assert not Quota.objects.exists()


def test_a_manager_enters_spend(client: Client, mark: Member) -> None:
    page = login(client, mark).get(spend_url()).content.decode()
    assert 'id="spend-form"' in page and 'id="quota-form"' in page
    response = client.post(spend_url(), SPEND_POST)
    assert response.status_code == 302
    spend = Spend.objects.get()
    assert (spend.amount, spend.period_end, spend.note) == (Decimal("12000.00"), dt.date(2026, 3, 31), "Q1 campaigns")
    assert 'value="delete-spend"' in client.get(spend_url()).content.decode()


def test_bad_spend_names_the_field(client: Client, mark: Member) -> None:
    login(client, mark)
    response = client.post(spend_url(), {**SPEND_POST, "period_end": "2026-12-31"})
    assert response.status_code == 400
    assert response.context["spend_form"].errors["period_end"] == ["the period must be at most 92 days long"]
    response = client.post(spend_url(), {**SPEND_POST, "amount": ""})
    assert response.status_code == 400 and "amount" in response.context["spend_form"].errors
    assert not Spend.objects.exists()


def test_a_manager_sets_a_quota_in_percent(client: Client, alice: Member, carol: Member) -> None:
    post = {"action": "quota", "member": carol.pk, "period_start": "2026-01-01", "period_end": "2026-12-31"}
    assert login(client, alice).post(spend_url(), {**post, "target_nrr": "130"}).status_code == 302
    quota = Quota.objects.get()
    assert (quota.member, quota.target_nrr, quota.target_arr) == (carol, Decimal("1.3000"), None)
    response = client.post(spend_url(), {**post, "period_end": "2025-12-31"})
    assert response.status_code == 400
    assert response.context["quota_form"].errors["period_end"] == ["must not be before period_start"]


def test_spend_and_quotas_download_as_csv(client: Client, vic: Member, carol: Member, workspace: Workspace) -> None:
    services.spend_set(
        workspace=workspace, actor=None, category="sales_marketing", period_start=Q1.start, period_end=Q1.end, amount=7
    )
    services.quota_set(
        workspace=workspace, actor=None, member=carol, period_start=Q1.start, period_end=Q1.end, target_arr=50000
    )
    login(client, vic)
    rows = csv_table(client.get(spend_url(), {"format": "csv", "table": "spend"}))
    assert rows == [
        ["category", "period_start", "period_end", "amount", "currency", "note"],
        ["sales_marketing", "2026-01-01", "2026-03-31", "7.00", "USD", ""],
    ]
    rows = csv_table(client.get(spend_url(), {"format": "csv", "table": "quotas"}))
    assert rows[1] == ["Carol", "2026-01-01", "2026-03-31", "1.2000", "50000.00"]
    assert client.get(spend_url(), {"format": "csv", "table": "nope"}).status_code == 404


def test_spend_and_quota_csv_neutralise_formulas_and_keep_numbers(
    client: Client, vic: Member, carol: Member, olga: Member, workspace: Workspace
) -> None:
    services.spend_set(
        workspace=workspace,
        actor=None,
        category="sales_marketing",
        period_start=Q1.start,
        period_end=Q1.end,
        amount=Decimal("1250.50"),
        note="=1+1",
    )
    carol.user.first_name, carol.user.last_name = "+Carol", ""
    carol.user.save()
    services.quota_set(
        workspace=workspace, actor=None, member=carol, period_start=Q1.start, period_end=Q1.end, target_arr=50000
    )
    login(client, vic)
    spend = csv_table(client.get(spend_url(), {"format": "csv", "table": "spend"}))
    assert spend[1] == ["sales_marketing", "2026-01-01", "2026-03-31", "1250.50", "USD", "'=1+1"]
    quotas = csv_table(client.get(spend_url(), {"format": "csv", "table": "quotas"}))
    assert quotas[1] == ["'+Carol", "2026-01-01", "2026-03-31", "1.2000", "50000.00"]
    assert login(client, olga).get(spend_url(), {"format": "csv", "table": "spend"}).status_code == 404


# The revenue dashboard's cost row ----------------------------------------------------------------


def test_the_revenue_dashboard_shows_cac_both_ways_and_crc(
    client: Client, vic: Member, workspace: Workspace, ledger: dict[str, Account]
) -> None:
    for category, amount in (("sales_marketing", "12000"), ("customer_success", "1440")):
        services.spend_set(
            workspace=workspace, actor=None, category=category, period_start=Q1.start, period_end=Q1.end, amount=amount
        )
    login(client, vic)
    page = client.get(reverse("revenue", args=["acme"]), Q1_QUERY).content.decode()
    assert "New ACV per $1 = $13,800 / $12,000 = $1.15" in page
    assert "CAC = $12,000 / $13,800 = $0.87 per $1 of new ACV" in page
    assert "CRC = $1,440 / $12,000 = 12.0% ($0.12 per $1 retained)" in page
    assert f'href="{spend_url()}"' in page and "enter spend" in page
    rows = csv_table(client.get(reverse("revenue", args=["acme"]), {**Q1_QUERY, "format": "csv", "table": "spend"}))
    assert rows[0] == ["figure", "value", "formula", "worked"]
    assert [row[0] for row in rows[1:]] == ["CAC per $1 of new ACV", "New ACV per $1 spent", "CRC (retention cost)"]
    assert float(rows[2][1]) == pytest.approx(1.15) and float(rows[3][1]) == pytest.approx(0.12)


# One CSM's book ----------------------------------------------------------------------------------


@pytest.fixture
def carols_book(workspace: Workspace, carol: Member, account: Account) -> dict[str, Any]:
    """Globex (12,000 ARR, term ends in 60 days, its renewal forecast at risk), Initech (6,000 ARR,
    red health, renewing in a year) and a quota from 200 days ago at 120%."""
    today = workspace_today(workspace)
    initech = make_account(workspace, "Initech", "enterprise", carol, 365, mrr="500")
    renewals_open(workspace=workspace, today=today)
    renewal = Renewal.objects.get(account=account)
    Renewal.objects.filter(pk=renewal.pk).update(forecast_category="at_risk", forecast_amount=Decimal("9000"))
    card = scorecard(workspace)
    score(initech, card, today, 20.0, Band.RED)
    quota = services.quota_set(
        workspace=workspace,
        actor=None,
        member=carol,
        period_start=today - dt.timedelta(days=150),
        period_end=today + dt.timedelta(days=100),
    )
    return {"today": today, "renewal": renewal, "initech": initech, "quota": quota, "card": card}


def test_the_book_page_shows_start_now_target_renewals_and_risk(
    client: Client, vic: Member, carol: Member, carols_book: dict[str, Any]
) -> None:
    response = login(client, vic).get(book_url(carol))
    assert response.status_code == 200
    standing = response.context["standing"]
    assert standing.quota == carols_book["quota"]
    assert (standing.accounts, standing.arr_start, standing.arr_now) == (2, Decimal("216000.00") / 12, Decimal(18000))
    assert standing.target_arr == Decimal("21600.00")
    # The quota runs 251 days and 151 have gone: the book is held against 20% × 151/251 of growth.
    assert standing.attainment.value == pytest.approx(1 / (1 + 0.2 * 151 / 251), abs=1e-5)
    assert [r.pk for r in response.context["due"]] == [carols_book["renewal"].pk]
    assert response.context["at_risk_arr"] == Decimal("12000") + Decimal("6000")  # what is up for renewal
    page = response.content.decode()
    assert 'id="book-spec"' in page and "vendor/vega-embed.min.js" in page
    assert "Attainment = ($18,000 / $18,000) / 112.0% = 100.0% / 112.0% = 89.3%" in page
    spec = response.context["book_spec"]
    assert [v["arr"] for v in spec["data"]["values"]] == [18000.0, 18000.0, 21600.0]


def test_the_book_sets_target_forecast_and_expected_side_by_side(
    client: Client, vic: Member, carol: Member, olga: Member, account: Account, carols_book: dict[str, Any]
) -> None:
    give_churn_risk(account, 0.35, carols_book["today"])
    login(client, vic)
    response = client.get(book_url(carol))
    [due] = response.context["due"]
    assert (due.target_amount, due.forecast_amount, due.expected.amount) == (
        Decimal("12000.00"), Decimal("9000.00"), Decimal("7800.00"),
    )  # fmt: skip
    globex = next(row for row in response.context["at_risk"] if row.account == account)
    assert (globex.arr, globex.forecast, globex.expected.amount) == (
        Decimal("12000.00"), Decimal("9000.00"), Decimal("7800.00"),
    )  # fmt: skip
    page = response.content.decode()
    assert "Expected ARR = target ARR × (1 − churn probability)" in page
    assert "Globex: 12,000.00 × (1 − 0.350) = 7,800.00" in page
    renewals = csv_table(client.get(book_url(carol), {"format": "csv", "table": "renewals"}))
    assert dict(zip(renewals[0], renewals[1], strict=True)) | {"term_end": ""} == {
        "account": "Globex", "term_end": "", "stage": "open", "forecast_category": "at_risk",
        "target_arr": "12000.00", "forecast_arr": "9000.00", "churn_probability": "0.350", "expected_arr": "7800.00",
        "health": "",
    }  # fmt: skip
    at_risk = csv_table(client.get(book_url(carol), {"format": "csv", "table": "at_risk"}))
    assert ["Globex", "12000.00", "9000.00", "7800.00"] in [[r[0], r[2], r[3], r[4]] for r in at_risk[1:]]
    assert login(client, olga).get(book_url(carol)).status_code == 404


def test_a_renewal_nobody_forecast_is_not_forecast_yet_on_the_book(
    client: Client, vic: Member, carol: Member, account: Account, carols_book: dict[str, Any]
) -> None:
    Renewal.objects.filter(pk=carols_book["renewal"].pk).update(forecast_category="", forecast_amount=None)
    login(client, vic)
    page = client.get(book_url(carol)).content.decode()
    assert 'data-forecast="none"' in page and "no churn score" in page
    renewals = csv_table(client.get(book_url(carol), {"format": "csv", "table": "renewals"}))
    assert renewals[1][3:8] == ["", "12000.00", "", "", ""]


def test_the_book_tables_download_as_csv(
    client: Client, mark: Member, carol: Member, carols_book: dict[str, Any]
) -> None:
    login(client, mark)
    standing = csv_table(client.get(book_url(carol), {"format": "csv", "table": "standing"}))
    assert standing[1][:8] == [
        "Carol",
        standing[1][1],
        standing[1][2],
        "2",
        "18000.00",
        "18000.00",
        "1.2000",
        "21600.00",
    ]
    renewals = csv_table(client.get(book_url(carol), {"format": "csv", "table": "renewals"}))
    assert renewals[1][0] == "Globex" and renewals[1][3] == "at_risk"
    at_risk = csv_table(client.get(book_url(carol), {"format": "csv", "table": "at_risk"}))
    assert sorted(row[0] for row in at_risk[1:]) == ["Globex", "Initech"]
    assert client.get(book_url(carol), {"format": "csv", "table": "nope"}).status_code == 404


def test_the_book_csv_neutralises_formulas(
    client: Client, mark: Member, carol: Member, olga: Member, account: Account, carols_book: dict[str, Any]
) -> None:
    Account.objects.filter(pk=account.pk).update(name="=WEBSERVICE(A1)")
    carol.user.first_name, carol.user.last_name = "@Carol", ""
    carol.user.save()
    login(client, mark)
    standing = csv_table(client.get(book_url(carol), {"format": "csv", "table": "standing"}))
    assert standing[1][0] == "'@Carol" and standing[1][4:6] == ["18000.00", "18000.00"]
    renewals = csv_table(client.get(book_url(carol), {"format": "csv", "table": "renewals"}))
    assert renewals[1][0] == "'=WEBSERVICE(A1)"
    at_risk = csv_table(client.get(book_url(carol), {"format": "csv", "table": "at_risk"}))
    assert "'=WEBSERVICE(A1)" in {row[0] for row in at_risk[1:]}
    assert login(client, olga).get(book_url(carol), {"format": "csv", "table": "renewals"}).status_code == 404


def test_another_workspaces_member_has_no_book_here(client: Client, alice: Member, olga: Member) -> None:
    assert login(client, alice).get(book_url(olga)).status_code == 404


def test_the_books_list_links_each_csm_to_their_book(client: Client, vic: Member, carol: Member) -> None:
    page = login(client, vic).get(reverse("books", args=["acme"])).content.decode()
    assert f'href="{book_url(carol)}"' in page


def test_the_book_page_query_count_does_not_grow_with_the_book(
    client: Client, alice: Member, carol: Member, carols_book: dict[str, Any]
) -> None:
    login(client, alice)
    client.get(book_url(carol))

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(book_url(carol)).status_code == 200
        return len(context)

    before = count()
    workspace = alice.workspace
    card = carols_book["card"]
    for i in range(5):
        extra = make_account(workspace, f"Extra {i}", "enterprise", carol, 30 + i)
        score(extra, card, carols_book["today"], 10.0, Band.RED)
    renewals_open(workspace=workspace, today=carols_book["today"])
    assert count() == before


def test_the_revenue_quota_table_links_each_csm_to_their_book(
    client: Client, vic: Member, carol: Member, carols_book: dict[str, Any]
) -> None:
    today = carols_book["today"]
    query = {"period": "custom", "start": today - dt.timedelta(days=150), "end": today}
    page = login(client, vic).get(reverse("revenue", args=["acme"]), query).content.decode()
    assert f'href="{book_url(carol)}"' in page


def test_a_manager_deletes_spend_and_quotas_of_this_workspace_only(
    client: Client, mark: Member, vic: Member, carol: Member, workspace: Workspace, other_workspace: Workspace
) -> None:
    mine = services.spend_set(
        workspace=workspace, actor=None, category="sales_marketing", period_start=Q1.start, period_end=Q1.end, amount=1
    )
    theirs = services.spend_set(
        workspace=other_workspace,
        actor=None,
        category="sales_marketing",
        period_start=Q1.start,
        period_end=Q1.end,
        amount=1,
    )
    quota = services.quota_set(workspace=workspace, actor=None, member=carol, period_start=Q1.start, period_end=Q1.end)
    assert login(client, vic).post(spend_url(), {"action": "delete-spend", "pk": mine.pk}).status_code == 403
    login(client, mark)
    assert client.post(spend_url(), {"action": "delete-spend", "pk": theirs.pk}).status_code == 404
    assert client.post(spend_url(), {"action": "delete-spend", "pk": mine.pk}).status_code == 302
    assert client.post(spend_url(), {"action": "delete-quota", "pk": quota.pk}).status_code == 302
    assert list(Spend.objects.all()) == [theirs] and not Quota.objects.exists()
