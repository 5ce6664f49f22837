"""The renewal pages: the board, its CSV, at risk, one renewal's update and close forms, reason codes.

Every route is checked with the outsider (Olga → 404) and the viewer (Vic → 403 on writes); working a
renewal with a CSM in and outside its own book (Carol owns Globex, Dave does not); the reason
library with a CSM (403) and a manager (Mark).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from retain.accounts.choices import MovementKind
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.renewals import services
from retain.renewals.models import ReasonCode, Renewal
from retain.renewals.tests.conftest import budget_cut, give_churn_risk, give_health, make_account, open_renewal
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(workspace: Workspace) -> dt.date:
    return workspace_today(workspace)


@pytest.fixture
def renewal(workspace: Workspace, account: Account, today: dt.date) -> Renewal:
    return open_renewal(workspace, account, today)


@pytest.fixture
def reason(workspace: Workspace) -> ReasonCode:
    return budget_cut(workspace)


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def url(name: str, *args: object) -> str:
    return reverse(name, args=["acme", *args])


class TestBoard:
    def test_it_carries_a_vega_lite_chart_of_target_forecast_and_expected_per_category(
        self, renewal: Renewal, vic: Member, today: dt.date
    ) -> None:
        give_churn_risk(renewal.account, 0.2, today)
        services.renewal_update(renewal=renewal, actor=None, forecast_category="probable", forecast_amount="10000")
        response = client_for(vic).get(url("renewals"))
        spec = response.context["board_spec"]
        values = {(v["category"], v["measure"]): v["arr"] for v in spec["data"]["values"]}
        assert values[("Probable", "Target")] == 12000.0
        assert values[("Probable", "Forecast")] == 10000.0
        assert values[("Probable", "Expected")] == 9600.0
        assert ("Not forecast yet", "Forecast") not in values  # no bar that reads as a forecast of nothing
        assert values[("Not forecast yet", "Target")] == 0.0
        assert 'id="board-spec"' in response.content.decode()

    def test_a_renewal_nobody_forecast_shows_as_not_forecast_yet_with_its_expectation(
        self, renewal: Renewal, vic: Member, today: dt.date
    ) -> None:
        give_churn_risk(renewal.account, 0.25, today)
        response = client_for(vic).get(url("renewals"))
        assert response.status_code == 200
        board = response.context["board"]
        assert [r.pk for r in board.not_forecast.renewals] == [renewal.pk]
        assert board.column("probable").count == 0 and board.forecast_arr == 0
        assert (board.forecast_count, board.count, board.expected_arr) == (0, 1, Decimal("9000.00"))
        html = response.content.decode()
        assert "Globex" in html and f'data-renewal="{renewal.pk}"' in html
        assert 'id="not_forecast"' in html and 'data-forecast="none"' in html
        assert "forecast on 0 of 1 renewal" in html
        assert "Expected ARR = target ARR × (1 − churn probability)" in html
        assert "12,000.00 × (1 − 0.250) = 9,000.00" in html

    def test_a_forecast_renewal_moves_to_its_category(self, renewal: Renewal, vic: Member) -> None:
        services.renewal_update(renewal=renewal, actor=None, forecast_category="probable", forecast_amount="11000")
        board = client_for(vic).get(url("renewals")).context["board"]
        assert board.column("probable").forecast_arr == Decimal("11000.00") == board.forecast_arr
        assert board.column("probable").target_arr == Decimal("12000.00")
        assert board.not_forecast.count == 0 and board.column("probable").expected_count == 0

    def test_the_horizon_tab_narrows_the_board(self, renewal: Renewal, carol: Member) -> None:
        response = client_for(carol).get(url("renewals") + "?horizon=30")
        assert response.context["board"].count == 0
        response = client_for(carol).get(url("renewals") + "?horizon=nonsense&tier=bogus&owner=x")
        assert response.context["board"].horizon_days == 90 and response.context["board"].count == 1

    def test_outsider_gets_404(self, renewal: Renewal, olga: Member) -> None:
        client = client_for(olga)
        for name in ("renewals", "renewals-csv", "renewals-at-risk", "renewal-reasons"):
            assert client.get(url(name)).status_code == 404
        assert client.get(url("renewal", renewal.pk)).status_code == 404

    def test_the_csv_export_has_one_row_per_renewal(self, renewal: Renewal, vic: Member) -> None:
        response = client_for(vic).get(url("renewals-csv") + "?horizon=180")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        lines = response.content.decode().strip().splitlines()
        assert lines[0].startswith("renewal_id,account,")
        assert len(lines) == 2 and "Globex" in lines[1] and "12000.00" in lines[1]

    def test_the_csv_carries_the_forecast_and_the_expectation_the_page_shows(
        self, renewal: Renewal, workspace: Workspace, vic: Member, olga: Member, today: dt.date
    ) -> None:
        columns = ("forecast_category", "forecast_arr", "churn_probability", "expected_arr")
        rows = list(csv.DictReader(io.StringIO(client_for(vic).get(url("renewals-csv")).content.decode())))
        assert [tuple(r[c] for c in columns) for r in rows] == [("", "", "", "")]
        give_churn_risk(renewal.account, 0.125, today)
        services.renewal_update(renewal=renewal, actor=None, forecast_category="commit", forecast_amount="12000")
        rows = list(csv.DictReader(io.StringIO(client_for(vic).get(url("renewals-csv")).content.decode())))
        assert [tuple(r[c] for c in columns) for r in rows] == [("commit", "12000.00", "0.125", "10500.00")]
        board = client_for(vic).get(url("renewals")).context["board"]
        assert str(board.expected_arr) == rows[0]["expected_arr"]
        assert client_for(olga).get(url("renewals-csv")).status_code == 404

    def test_the_csv_export_neutralises_cells_a_spreadsheet_would_run(
        self, renewal: Renewal, account: Account, vic: Member, olga: Member
    ) -> None:
        Account.objects.filter(pk=account.pk).update(name="@SUM(A1:A9)", external_id="-1+cmd|' /C calc'!A0")
        response = client_for(vic).get(url("renewals-csv") + "?horizon=180")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert [(row["account"], row["account_external_id"]) for row in rows] == [
            ("'@SUM(A1:A9)", "'-1+cmd|' /C calc'!A0")
        ]
        assert rows[0]["target_arr"] == "12000.00"
        assert client_for(olga).get(url("renewals-csv")).status_code == 404

    def test_the_board_query_count_does_not_grow_with_renewals(
        self, workspace: Workspace, renewal: Renewal, carol: Member, today: dt.date
    ) -> None:
        client = client_for(carol)
        with CaptureQueriesContext(connection) as one:
            client.get(url("renewals"))
        for i in range(5):
            account = make_account(workspace, f"Extra {i}", "enterprise", carol, 20 + i)
            give_health(account, "yellow", today)
            give_churn_risk(account, 0.1 * i, today)
        services.renewals_open(workspace=workspace, today=today)
        with CaptureQueriesContext(connection) as six:
            response = client.get(url("renewals"))
        assert response.context["board"].count == 6
        assert len(six) == len(one)


class TestAtRisk:
    def test_it_shows_red_and_yellow_accounts_and_at_risk_forecasts(
        self, workspace: Workspace, renewal: Renewal, carol: Member, today: dt.date
    ) -> None:
        client = client_for(carol)
        assert client.get(url("renewals-at-risk")).context["renewals"] == []
        give_health(renewal.account, "red", today)
        response = client.get(url("renewals-at-risk"))
        assert [r.pk for r in response.context["renewals"]] == [renewal.pk]
        assert 'data-band="red"' in response.content.decode()

    def test_it_sets_target_forecast_and_expected_side_by_side(
        self, workspace: Workspace, renewal: Renewal, carol: Member, olga: Member, today: dt.date
    ) -> None:
        give_health(renewal.account, "red", today)
        give_churn_risk(renewal.account, 0.6, today)
        other = make_account(workspace, "Initech", "enterprise", carol, 30, mrr="250")
        services.renewals_open(workspace=workspace, today=today)
        give_health(other, "yellow", today)  # not forecast yet, no churn score
        services.renewal_update(renewal=renewal, actor=None, forecast_category="at_risk", forecast_amount="6000")
        response = client_for(carol).get(url("renewals-at-risk"))
        totals = response.context["totals"]
        assert (totals.count, totals.target_arr, totals.forecast_arr) == (2, Decimal("15000.00"), Decimal("6000.00"))
        assert (totals.expected_arr, totals.expected_count) == (Decimal("4800.00"), 1)  # 12,000 × (1 − 0.6)
        html = response.content.decode()
        assert 'id="figure-expected"' in html and "12,000.00 × (1 − 0.600) = 4,800.00" in html
        assert "the owners' forecasts on 1 of 2" in html and "Not forecast yet" in html
        assert "no churn score" in html
        assert client_for(olga).get(url("renewals-at-risk")).status_code == 404


class TestRenewalPage:
    def test_a_viewer_reads_but_gets_no_forms(self, renewal: Renewal, vic: Member, today: dt.date) -> None:
        give_health(renewal.account, "yellow", today)
        response = client_for(vic).get(url("renewal", renewal.pk))
        assert response.status_code == 200 and response.context["close_form"] is None
        assert 'data-band="yellow"' in response.content.decode()

    def test_a_viewer_cannot_update_or_close(self, renewal: Renewal, vic: Member) -> None:
        client = client_for(vic)
        assert client.post(url("renewal-edit", renewal.pk), {}).status_code == 403
        assert client.post(url("renewal-close", renewal.pk), {"outcome": "renewed"}).status_code == 403

    def test_a_csm_outside_the_book_cannot_close(self, renewal: Renewal, dave: Member) -> None:
        response = client_for(dave).post(url("renewal-close", renewal.pk), {"outcome": "renewed"})
        assert response.status_code == 403

    def test_outsider_gets_404_on_writes(self, renewal: Renewal, olga: Member) -> None:
        client = client_for(olga)
        assert client.post(url("renewal-edit", renewal.pk), {}).status_code == 404
        assert client.post(url("renewal-close", renewal.pk), {"outcome": "renewed"}).status_code == 404

    def test_the_page_shows_target_forecast_and_the_expected_arr_with_its_sum(
        self, renewal: Renewal, vic: Member, olga: Member, today: dt.date
    ) -> None:
        page = client_for(vic).get(url("renewal", renewal.pk)).content.decode()
        assert 'data-forecast="none"' in page and "Not forecast yet" in page
        assert "no churn score for this account yet" in page
        give_churn_risk(renewal.account, 0.3, today)
        response = client_for(vic).get(url("renewal", renewal.pk))
        assert response.context["expected"].amount == Decimal("8400.00")
        assert "12,000.00 × (1 − 0.300) = 8,400.00" in response.content.decode()
        assert client_for(olga).get(url("renewal", renewal.pk)).status_code == 404

    def test_the_owner_works_a_renewal_without_forecasting_it_yet(self, renewal: Renewal, carol: Member) -> None:
        form = {"owner": carol.pk, "stage": "engaged", "forecast_category": "", "forecast_amount": "",
                "close_date": renewal.term_end.isoformat(), "notes": ""}  # fmt: skip
        assert client_for(carol).post(url("renewal-edit", renewal.pk), form).status_code == 302
        renewal.refresh_from_db()
        assert (renewal.stage, renewal.is_forecast) == ("engaged", False)
        response = client_for(carol).post(url("renewal-edit", renewal.pk), {**form, "forecast_category": "commit"})
        assert response.status_code == 400 and "forecast_amount" in response.context["update_form"].errors
        response = client_for(carol).post(url("renewal-edit", renewal.pk), {**form, "forecast_amount": "100"})
        assert response.status_code == 400 and "forecast_category" in response.context["update_form"].errors
        renewal.refresh_from_db()
        assert not renewal.is_forecast

    def test_a_forecast_cannot_be_taken_back_by_blanking_it(self, renewal: Renewal, carol: Member) -> None:
        services.renewal_update(renewal=renewal, actor=None, forecast_category="commit", forecast_amount="12000")
        form = {"owner": carol.pk, "stage": "engaged", "forecast_category": "", "forecast_amount": "",
                "close_date": renewal.term_end.isoformat(), "notes": ""}  # fmt: skip
        response = client_for(carol).post(url("renewal-edit", renewal.pk), form)
        assert response.status_code == 400 and "forecast_category" in response.context["update_form"].errors

    def test_the_owner_updates_the_forecast(self, renewal: Renewal, carol: Member) -> None:
        response = client_for(carol).post(
            url("renewal-edit", renewal.pk),
            {"owner": carol.pk, "stage": "proposal", "forecast_category": "commit", "forecast_amount": "13000",
             "close_date": renewal.term_end.isoformat(), "notes": "Verbal yes"},
        )  # fmt: skip
        assert response.status_code == 302
        renewal.refresh_from_db()
        assert (renewal.stage, renewal.forecast_category, renewal.forecast_amount) == (
            "proposal", "commit", Decimal("13000.00"),
        )  # fmt: skip

    def test_the_owner_closes_it_as_churned_with_a_reason(
        self, renewal: Renewal, carol: Member, reason: ReasonCode
    ) -> None:
        response = client_for(carol).post(
            url("renewal-close", renewal.pk), {"outcome": "churned", "reasons": [reason.pk]}
        )
        assert response.status_code == 302
        renewal.refresh_from_db()
        assert renewal.outcome == "churned"
        assert renewal.subscription.movements.order_by("-id")[0].kind == MovementKind.CHURN
        page = client_for(carol).get(url("renewal", renewal.pk)).content.decode()
        assert 'data-outcome="churned"' in page and "Budget cut" in page

    def test_a_churn_without_a_reason_is_answered_400_naming_the_field(self, renewal: Renewal, carol: Member) -> None:
        response = client_for(carol).post(url("renewal-close", renewal.pk), {"outcome": "churned"})
        assert response.status_code == 400
        assert "reasons" in response.context["close_form"].errors
        renewal.refresh_from_db()
        assert renewal.is_open


class TestReasonCodes:
    def test_everyone_reads_the_library_seeded_with_defaults(self, workspace: Workspace, vic: Member) -> None:
        response = client_for(vic).get(url("renewal-reasons"))
        assert response.status_code == 200 and "Budget cut" in response.content.decode()
        assert response.context["can_edit"] is False

    def test_a_manager_adds_and_retires_a_reason(self, workspace: Workspace, mark: Member) -> None:
        client = client_for(mark)
        assert client.post(url("renewal-reasons"), {"kind": "churn", "label": "Went in-house"}).status_code == 302
        reason = ReasonCode.objects.get(label="Went in-house")
        assert client.post(url("renewal-reason-edit", reason.pk), {"active": "0"}).status_code == 302
        reason.refresh_from_db()
        assert reason.active is False

    def test_a_csm_and_a_viewer_cannot_edit_it(self, workspace: Workspace, carol: Member, vic: Member,
                                               reason: ReasonCode) -> None:  # fmt: skip
        for member in (carol, vic):
            client = client_for(member)
            assert client.post(url("renewal-reasons"), {"kind": "churn", "label": "X"}).status_code == 403
            assert client.post(url("renewal-reason-edit", reason.pk), {"active": "0"}).status_code == 403

    def test_outsider_gets_404_on_a_reason(self, reason: ReasonCode, olga: Member) -> None:
        assert client_for(olga).post(url("renewal-reason-edit", reason.pk), {"active": "0"}).status_code == 404

    def test_a_duplicate_label_is_refused_naming_the_field(self, reason: ReasonCode, mark: Member) -> None:
        response = client_for(mark).post(url("renewal-reasons"), {"kind": "churn", "label": "Budget cut"})
        assert response.status_code == 400 and "label" in response.context["form"].errors


def test_a_manager_renames_a_reason_but_not_onto_another(
    workspace: Workspace, reason: ReasonCode, mark: Member
) -> None:
    client = client_for(mark)
    assert client.post(url("renewal-reason-edit", reason.pk), {"label": "Budget frozen"}).status_code == 302
    reason.refresh_from_db()
    assert reason.label == "Budget frozen" and reason.active
    response = client.post(url("renewal-reason-edit", reason.pk), {"label": "Low adoption"}, follow=True)
    assert "already a churn reason" in response.content.decode()
    reason.refresh_from_db()
    assert reason.label == "Budget frozen"
