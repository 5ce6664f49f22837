from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retain.renewals import selectors, services
from retain.renewals.models import Renewal
from retain.renewals.tests.conftest import give_churn_risk, give_health, make_account
from retain.tenancy.models import Member, Workspace


@pytest.fixture
def book(workspace: Workspace, carol: Member, dave: Member, today: dt.date) -> dict[str, Renewal]:
    """Four open renewals: due in 10, 20, 60 and 150 days (strategic windows are 180 days). Twenty's
    owner forecasts a commit at target, Sixty's an at-risk 1,000; Ten and OneFifty are not forecast yet."""
    workspace.renewal_window_strategic_days = 180
    workspace.save()
    make_account(workspace, "Ten", "enterprise", carol, 10, mrr="100")
    make_account(workspace, "Twenty", "enterprise", dave, 20, mrr="200")
    make_account(workspace, "Sixty", "enterprise", carol, 60, mrr="300")
    make_account(workspace, "OneFifty", "strategic", carol, 150, mrr="400")
    services.renewals_open(workspace=workspace, today=today)
    renewals = {r.account.name: r for r in Renewal.objects.select_related("account")}
    services.renewal_update(
        renewal=renewals["Twenty"], actor=None, forecast_category="commit", forecast_amount=Decimal("2400")
    )
    services.renewal_update(
        renewal=renewals["Sixty"], actor=None, forecast_category="at_risk", forecast_amount=Decimal("1000")
    )
    return renewals


def test_the_board_totals_the_owners_forecasts_per_category(workspace: Workspace, book: dict[str, Renewal]) -> None:
    board = selectors.board(workspace, 90)
    assert board.count == 3
    assert board.column("commit").count == 1 and board.column("commit").target_arr == Decimal("2400")
    assert board.column("commit").forecast_arr == Decimal("2400")
    assert board.column("probable").count == 0
    assert board.column("at_risk").target_arr == Decimal("3600")
    assert board.column("at_risk").forecast_arr == Decimal("1000")
    assert board.column("lost").count == 0
    assert board.target_arr == Decimal("7200") and board.forecast_arr == Decimal("3400")


def test_renewals_not_forecast_yet_are_counted_apart_and_add_no_forecast(
    workspace: Workspace, book: dict[str, Renewal]
) -> None:
    board = selectors.board(workspace, 90)
    waiting = board.not_forecast
    assert [r.account.name for r in waiting.renewals] == ["Ten"]
    assert (waiting.label, waiting.target_arr, waiting.forecast_arr) == ("Not forecast yet", Decimal("1200"), 0)
    assert (board.forecast_count, board.count) == (2, 3)
    assert board.forecast_arr == board.column("commit").forecast_arr + board.column("at_risk").forecast_arr


def test_expected_arr_is_the_target_weighed_by_the_latest_churn_probability(
    workspace: Workspace, book: dict[str, Renewal], today: dt.date
) -> None:
    give_churn_risk(book["Sixty"].account, 0.9, today - dt.timedelta(days=8))
    give_churn_risk(book["Sixty"].account, 0.25, today - dt.timedelta(days=1))  # the latest counts
    give_churn_risk(book["Ten"].account, 0.1004, today)
    board = selectors.board(workspace, 90)
    at_risk = board.column("at_risk")
    expected = at_risk.renewals[0].expected  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    assert (expected.probability, expected.amount) == (Decimal("0.250"), Decimal("2700.00"))  # 3,600 × 0.75
    assert expected.worked.startswith("3,600.00 × (1 − 0.250) = 2,700.00")
    assert at_risk.expected_arr == Decimal("2700.00") and at_risk.expected_count == 1
    assert board.not_forecast.expected_arr == Decimal("1080.00")  # 1,200 × (1 − 0.100)
    # Twenty has no churn score: no expected ARR, and it is not counted as zero.
    twenty = board.column("commit").renewals[0].expected  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    assert twenty.amount is None and "no churn score" in twenty.worked
    assert (board.expected_arr, board.expected_count) == (Decimal("3780.00"), 2)


def test_the_horizon_decides_what_is_on_the_board(workspace: Workspace, book: dict[str, Renewal]) -> None:
    assert selectors.board(workspace, 30).count == 2
    assert selectors.board(workspace, 180).count == 4
    with pytest.raises(ValueError):
        selectors.board(workspace, 45)


def test_the_board_filters_by_owner_and_tier(workspace: Workspace, book: dict[str, Renewal], dave: Member) -> None:
    assert selectors.board(workspace, 180, owner=dave.pk).count == 1
    assert selectors.board(workspace, 180, tier="strategic").count == 1
    assert selectors.board(workspace, 180, owner="none").count == 0


def test_closed_renewals_leave_the_board(workspace: Workspace, book: dict[str, Renewal]) -> None:
    services.renewal_close(renewal=book["Ten"], actor=None, via="test", outcome="renewed")
    assert selectors.board(workspace, 30).count == 1


def test_another_workspace_is_never_on_the_board(
    workspace: Workspace, other_workspace: Workspace, book: dict[str, Renewal]
) -> None:
    assert selectors.board(other_workspace, 180).count == 0


def test_the_board_costs_one_query_however_many_renewals(
    workspace: Workspace, book: dict[str, Renewal], today: dt.date
) -> None:
    for account in (book["Ten"].account, book["Sixty"].account):
        give_health(account, "green", today)
        give_churn_risk(account, 0.2, today)
    with CaptureQueriesContext(connection) as few:
        board = selectors.board(workspace, 180)
        [(r.account.name, r.owner and r.owner.display_name, r.subscription.product, r.health_band,  # type: ignore[attr-defined]  # annotated onto the queryset's rows
          r.expected.amount) for c in board.columns for r in c.renewals]  # type: ignore[attr-defined]  # fmt: skip
    assert len(few) == 1


def test_at_risk_joins_the_latest_health_band(workspace: Workspace, book: dict[str, Renewal], today: dt.date) -> None:
    give_health(book["Ten"].account, "green", today - dt.timedelta(days=1))
    give_health(book["Ten"].account, "red", today)  # the latest counts
    give_health(book["Twenty"].account, "red", today - dt.timedelta(days=1))
    give_health(book["Twenty"].account, "green", today)
    give_health(book["OneFifty"].account, "yellow", today)
    give_churn_risk(book["Ten"].account, 0.5, today)
    rows = {r.account.name: r for r in selectors.at_risk(workspace)}
    assert set(rows) == {"Ten", "Sixty", "OneFifty"}  # Sixty: forecast at risk, not scored
    assert (rows["Ten"].health_band, rows["Sixty"].health_band) == ("red", None)  # type: ignore[attr-defined]  # annotated onto the queryset's rows
    assert selectors.expectation(rows["Ten"]).amount == Decimal("600.00")
