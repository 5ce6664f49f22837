"""/api/v1/renewals/: list, retrieve, update the forecast, and close (which writes the movement)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retain.accounts.choices import EntryKind, MovementKind
from retain.accounts.models import Account, TimelineEntry
from retain.accounts.selectors import workspace_today
from retain.api.tests.conftest import ClientFor
from retain.renewals.models import ReasonCode, Renewal
from retain.renewals.services import renewal_close, renewal_update, renewals_open
from retain.renewals.tests.conftest import budget_cut, give_churn_risk, give_health, make_account, open_renewal
from retain.risk.choices import RunStatus
from retain.risk.models import ChurnModelRun
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.urls("retain.api.tests.urls")


@pytest.fixture
def renewal(workspace: Workspace, account: Account) -> Renewal:
    return open_renewal(workspace, account, workspace_today(workspace))


@pytest.fixture
def reason(workspace: Workspace) -> ReasonCode:
    return budget_cut(workspace)


def test_it_lists_and_shows_renewals_with_the_health_band(renewal: Renewal, vic: Member, client_for: ClientFor) -> None:
    give_health(renewal.account, "yellow", workspace_today(renewal.workspace))
    client = client_for(vic)
    assert client.get("/api/v1/renewals/?is_open=true&forecast_category=probable").json()["count"] == 0
    body = client.get("/api/v1/renewals/?is_open=true").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["target_amount"], row["stage"], row["health_band"]) == (
        renewal.pk, "12000.00", "open", "yellow",
    )  # fmt: skip
    assert (row["forecast_category"], row["forecast_amount"]) == ("", None)  # not forecast yet
    assert client.get("/api/v1/renewals/?is_open=false").json()["count"] == 0
    assert client.get(f"/api/v1/renewals/{renewal.pk}/").json()["term_end"] == renewal.term_end.isoformat()


def test_outsider_gets_404(renewal: Renewal, olga: Member, client_for: ClientFor) -> None:
    client = client_for(olga)
    assert client.get("/api/v1/renewals/").json()["count"] == 0
    assert client.get(f"/api/v1/renewals/{renewal.pk}/").status_code == 404
    assert client.patch(f"/api/v1/renewals/{renewal.pk}/", {}, format="json").status_code == 404
    response = client.post(f"/api/v1/renewals/{renewal.pk}/close/", {"outcome": "renewed"}, format="json")
    assert response.status_code == 404


def test_it_requires_rw_access(renewal: Renewal, vic: Member, dave: Member, client_for: ClientFor) -> None:
    for member in (vic, dave):
        client = client_for(member)
        assert client.patch(f"/api/v1/renewals/{renewal.pk}/", {"stage": "engaged"}, format="json").status_code == 403
        response = client.post(f"/api/v1/renewals/{renewal.pk}/close/", {"outcome": "renewed"}, format="json")
        assert response.status_code == 403
    renewal.refresh_from_db()
    assert renewal.is_open and renewal.stage == "open"


def test_the_owner_updates_the_forecast(renewal: Renewal, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(
        f"/api/v1/renewals/{renewal.pk}/",
        {"forecast_category": "at_risk", "forecast_amount": "8000", "stage": "negotiation"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["forecast_category"], response.json()["forecast_amount"]) == ("at_risk", "8000.00")


def test_it_answers_the_expected_arr_the_pages_show(
    renewal: Renewal, vic: Member, olga: Member, client_for: ClientFor
) -> None:
    row = client_for(vic).get(f"/api/v1/renewals/{renewal.pk}/").json()
    assert (row["churn_probability"], row["expected_amount"]) == (None, None)
    give_churn_risk(renewal.account, 0.2, workspace_today(renewal.workspace))
    row = client_for(vic).get(f"/api/v1/renewals/{renewal.pk}/").json()
    assert (row["churn_probability"], row["expected_amount"]) == ("0.200", "9600.00")
    listed = client_for(vic).get("/api/v1/renewals/").json()["results"][0]
    assert listed["expected_amount"] == "9600.00"
    renewal_close(renewal=renewal, actor=None, via="test", outcome="renewed")
    row = client_for(vic).get(f"/api/v1/renewals/{renewal.pk}/").json()
    assert (row["churn_probability"], row["expected_amount"], row["final_amount"]) == (None, None, "12000.00")
    assert client_for(olga).get(f"/api/v1/renewals/{renewal.pk}/").status_code == 404


def test_it_lists_the_renewals_not_forecast_yet_apart(
    workspace: Workspace, renewal: Renewal, carol: Member, olga: Member, client_for: ClientFor
) -> None:
    other = make_account(workspace, "Initech", "enterprise", carol, 30)
    renewals_open(workspace=workspace, today=workspace_today(workspace))
    forecast = Renewal.objects.get(account=other)
    renewal_update(renewal=forecast, actor=carol, forecast_category="commit", forecast_amount="6000")
    client = client_for(carol)
    assert [r["id"] for r in client.get("/api/v1/renewals/?is_forecast=false").json()["results"]] == [renewal.pk]
    assert [r["id"] for r in client.get("/api/v1/renewals/?is_forecast=true").json()["results"]] == [forecast.pk]
    assert client_for(olga).get("/api/v1/renewals/?is_forecast=false").json()["count"] == 0


def test_the_first_forecast_without_its_category_is_refused_naming_the_field(
    renewal: Renewal, carol: Member, client_for: ClientFor
) -> None:
    response = client_for(carol).patch(f"/api/v1/renewals/{renewal.pk}/", {"forecast_amount": "9000"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["forecast_category"]


def test_a_negative_forecast_is_refused_naming_the_field(
    renewal: Renewal, carol: Member, client_for: ClientFor
) -> None:
    response = client_for(carol).patch(f"/api/v1/renewals/{renewal.pk}/", {"forecast_amount": "-1"}, format="json")
    assert response.status_code == 400 and "forecast_amount" in response.json()["errors"]


def test_a_manager_closes_with_an_expansion(
    workspace: Workspace, renewal: Renewal, mark: Member, client_for: ClientFor
) -> None:
    expansion = ReasonCode.objects.get(workspace=workspace, kind="expansion", label="More seats")
    new_end = renewal.term_end + dt.timedelta(days=365)
    response = client_for(mark).post(
        f"/api/v1/renewals/{renewal.pk}/close/",
        {"outcome": "renewed_expansion", "final_amount": "15000", "reasons": [expansion.pk],
         "new_term_end": new_end.isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["outcome"], body["final_amount"], body["stage"]) == ("renewed_expansion", "15000.00", "closed")
    assert [r["label"] for r in body["reasons"]] == ["More seats"]
    movement = renewal.subscription.movements.order_by("-id")[0]
    assert movement.kind == MovementKind.EXPANSION and movement.mrr_after == Decimal("1250.00")
    entry = TimelineEntry.objects.get(kind=EntryKind.RENEWAL_CLOSED)
    assert entry.actor == mark and entry.actor_label == "api"


def test_a_churn_without_reasons_is_400_naming_reasons(renewal: Renewal, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).post(f"/api/v1/renewals/{renewal.pk}/close/", {"outcome": "churned"}, format="json")
    assert response.status_code == 400 and "reasons" in response.json()["errors"]


def test_another_workspaces_reason_reads_as_missing(
    renewal: Renewal, other_workspace: Workspace, carol: Member, client_for: ClientFor
) -> None:
    foreign = budget_cut(other_workspace)
    response = client_for(carol).post(
        f"/api/v1/renewals/{renewal.pk}/close/", {"outcome": "churned", "reasons": [foreign.pk]}, format="json"
    )
    assert response.status_code == 400 and "reasons" in response.json()["errors"]


def test_a_churn_with_a_reason_closes_it(
    renewal: Renewal, carol: Member, reason: ReasonCode, client_for: ClientFor
) -> None:
    response = client_for(carol).post(
        f"/api/v1/renewals/{renewal.pk}/close/", {"outcome": "churned", "reasons": [reason.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert renewal.subscription.movements.order_by("-id")[0].kind == MovementKind.CHURN


def test_the_closed_stage_is_only_reached_by_closing(renewal: Renewal, carol: Member, client_for: ClientFor) -> None:
    response = client_for(carol).patch(f"/api/v1/renewals/{renewal.pk}/", {"stage": "closed"}, format="json")
    assert response.status_code == 400 and "stage" in response.json()["errors"]


def test_the_list_costs_the_same_queries_however_many_renewals(
    workspace: Workspace, renewal: Renewal, carol: Member, client_for: ClientFor
) -> None:
    client = client_for(carol)
    client.get("/api/v1/renewals/")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert client.get("/api/v1/renewals/").status_code == 200
    today = workspace_today(workspace)
    for i in range(4):
        make_account(workspace, f"Extra {i}", "enterprise", carol, 30 + i)
    open_renewal(workspace, renewal.account, today)
    renewal_close(renewal=renewal, actor=None, via="test", outcome="churned", reasons=[budget_cut(workspace)])
    with CaptureQueriesContext(connection) as five:
        assert client.get("/api/v1/renewals/").json()["count"] == 5
    assert len(five) == len(one)


def test_it_answers_no_churn_probability_once_a_training_falls_below_the_quality_gate(
    renewal: Renewal, vic: Member, olga: Member, client_for: ClientFor
) -> None:
    give_churn_risk(renewal.account, 0.2, workspace_today(renewal.workspace))
    ChurnModelRun.objects.create(
        workspace=renewal.workspace,
        trained_at=timezone.now() + dt.timedelta(minutes=1),
        status=RunStatus.GATED,
        message="held-out AUC 0.52 < 0.60",
        holdout_auc=0.52,
        churned_accounts=40,
    )
    row = client_for(vic).get(f"/api/v1/renewals/{renewal.pk}/").json()
    assert (row["churn_probability"], row["expected_amount"], row["target_amount"]) == (None, None, "12000.00")
    assert client_for(olga).get(f"/api/v1/renewals/{renewal.pk}/").status_code == 404
