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
from retain.renewals.tests.conftest import budget_cut, give_health, make_account, open_renewal
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
    def test_it_carries_a_vega_lite_chart_of_target_and_forecast_per_category(
        self, renewal: Renewal, vic: Member
    ) -> None:
        response = client_for(vic).get(url("renewals"))
        spec = response.context["board_spec"]
        values = {(v["category"], v["measure"]): v["arr"] for v in spec["data"]["values"]}
        column = next(c for c in response.context["board"].columns if c.renewals)
        assert values[(column.label, "Target")] == float(column.target_arr) > 0
        assert values[(column.label, "Forecast")] == float(column.forecast_arr)
        assert 'id="board-spec"' in response.content.decode()

    def test_it_lists_renewals_by_forecast_category_with_totals(self, renewal: Renewal, vic: Member) -> None:
        response = client_for(vic).get(url("renewals"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Globex" in html and f'data-renewal="{renewal.pk}"' in html
        board = response.context["board"]
        assert board.column("probable").target_arr == Decimal("12000.00")

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
