"""Churn risk and cohort retention pages: members read them (the viewer too), outsiders get 404,
they are read-only; the risk page shows the held-out AUC and calibration, the account page its line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.renewals import selectors as renewal_selectors
from retain.renewals.tests.conftest import open_renewal
from retain.risk.choices import RunStatus
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


@pytest.fixture
def scored(workspace: Workspace, account: Account) -> ChurnModelRun:
    run = ChurnModelRun.objects.create(
        workspace=workspace,
        trained_at=timezone.now(),
        status=RunStatus.SUCCEEDED,
        window={"first": "2025-02-01", "holdout_from": "2026-04-01", "last": "2026-08-01", "snapshots": 19},
        model="logistic_regression",
        rows=500,
        positives=40,
        holdout_rows=120,
        holdout_positives=9,
        holdout_auc=0.8123,
        holdout_brier=0.06,
        calibration=[{"lower": 0.0, "upper": 0.1, "count": 100, "mean_predicted": 0.03, "observed_rate": 0.02}],
        features=["seats", "usage_trend"],
        scored=1,
    )
    ChurnRisk.objects.create(
        workspace=workspace,
        account=account,
        day=dt.date(2026, 11, 1),
        probability=0.42,
        reasons=[
            {"feature": "usage_trend", "value": "-0.6", "effect": 0.2},
            {"feature": "active_users_per_seat", "value": "0.0178571", "effect": 0.1},
        ],
        run=run,
    )
    return run


@pytest.mark.parametrize("name", ["risk", "retention"])
def test_outsider_gets_404(client: Client, olga: Member, workspace: Workspace, name: str) -> None:
    assert login(client, olga).get(reverse(name, args=["acme"])).status_code == 404


@pytest.mark.parametrize("name", ["risk", "retention"])
def test_it_requires_login(client: Client, workspace: Workspace, name: str) -> None:
    assert client.get(reverse(name, args=["acme"])).status_code == 302


@pytest.mark.parametrize("name", ["risk", "retention"])
def test_it_is_read_only(client: Client, alice: Member, name: str) -> None:
    assert login(client, alice).post(reverse(name, args=["acme"])).status_code == 405


def test_a_viewer_reads_the_accounts_by_risk_with_the_models_evaluation(
    client: Client, vic: Member, scored: ChurnModelRun
) -> None:
    page = login(client, vic).get(reverse("risk", args=["acme"])).content.decode()
    assert "Globex" in page and "42%" in page
    assert "Usage trend = -0.6" in page and "Active users per seat = 0.0179 " in page
    assert "logistic regression" in page
    assert "0.812" in page and "from 2026-04-01" in page
    assert 'id="calibration"' in page


def test_a_refused_training_says_why(client: Client, alice: Member, workspace: Workspace) -> None:
    ChurnModelRun.objects.create(
        workspace=workspace, trained_at=timezone.now(), status=RunStatus.REFUSED, message="2 monthly snapshot(s)"
    )
    page = login(client, alice).get(reverse("risk", args=["acme"])).content.decode()
    assert "was refused:</strong> 2 monthly snapshot(s)" in page


def test_a_workspace_never_trained_says_how_to(client: Client, alice: Member) -> None:
    page = login(client, alice).get(reverse("risk", args=["acme"])).content.decode()
    assert "retain churn train --workspace acme" in page


def test_the_account_page_has_a_churn_risk_line(client: Client, carol: Member, scored: ChurnModelRun) -> None:
    account = scored.risks.get().account
    page = login(client, carol).get(reverse("account", args=["acme", account.pk])).content.decode()
    assert 'id="churn-risk"' in page and "42% at the next renewal" in page and "Usage trend = -0.6" in page


def test_an_unscored_account_says_so(client: Client, carol: Member, account: Account) -> None:
    page = login(client, carol).get(reverse("account", args=["acme", account.pk])).content.decode()
    assert "not scored yet" in page


def test_retention_shows_each_tiers_curve_or_why_not(client: Client, vic: Member, workspace: Workspace) -> None:
    today = timezone.localdate()
    started = today - dt.timedelta(days=400)
    for i in range(12):
        lost = started + dt.timedelta(days=60) if i < 3 else started + dt.timedelta(days=200) if i < 5 else None
        customer(workspace, f"C {i}", started=started, lost=lost, mrr=300)
    page = login(client, vic).get(reverse("retention", args=["acme"])).content.decode()
    assert "periods are <strong>quarters</strong>" in page
    assert 'data-spec="curve-community"' in page and 'id="curve-community"' in page
    assert "Fitted (sBG)" in page and "The seed formula" in page
    assert "Not fitted: 0 account(s)" in page


def test_the_risk_list_costs_the_same_queries_however_many_accounts(
    client: Client, alice: Member, workspace: Workspace, scored: ChurnModelRun
) -> None:
    login(client, alice)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("risk", args=["acme"]))
    for i in range(5):
        account = customer(workspace, f"Extra {i}", started=dt.date(2025, 1, 1))
        ChurnRisk.objects.create(
            workspace=workspace, account=account, day=dt.date(2026, 11, 1), probability=0.1, run=scored
        )
    with CaptureQueriesContext(connection) as six:
        page = client.get(reverse("risk", args=["acme"])).content.decode()
    assert "Extra 4" in page
    assert len(six) == len(one)


@pytest.fixture
def many_scored(workspace: Workspace, scored: ChurnModelRun) -> ChurnModelRun:
    """61 scored accounts in all: Globex at 42% and 60 more from 0.01 to 0.60."""
    for i in range(60):
        account = Account.objects.create(workspace=workspace, name=f"Risk {i:02d}", tier="enterprise")
        ChurnRisk.objects.create(
            workspace=workspace, account=account, day=dt.date(2026, 11, 1), probability=(i + 1) / 100, run=scored
        )
    return scored


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-account="\d+">\s*<td><a href="[^"]+">([^<]+)</a>', page)


def test_the_risk_list_pages_50_at_a_time_riskiest_first(
    client: Client, vic: Member, many_scored: ChurnModelRun
) -> None:
    login(client, vic)
    first = client.get(reverse("risk", args=["acme"])).content.decode()
    names = _listed(first)
    assert len(names) == 50 and names[:2] == ["Risk 59", "Risk 58"] and "61 scored accounts, page 1 of 2" in first
    second = _listed(client.get(reverse("risk", args=["acme"]) + "?page=2").content.decode())
    assert len(second) == 11 and second[-1] == "Risk 00" and not set(names) & set(second)


def test_the_risk_list_sorts_by_a_column_and_ignores_an_unknown_sort(
    client: Client, vic: Member, many_scored: ChurnModelRun
) -> None:
    login(client, vic)
    by_name = _listed(client.get(reverse("risk", args=["acme"]) + "?sort=account").content.decode())
    assert by_name[:3] == ["Globex", "Risk 00", "Risk 01"]
    backwards = _listed(client.get(reverse("risk", args=["acme"]) + "?sort=-account").content.decode())
    assert backwards[0] == "Risk 59"
    odd = client.get(reverse("risk", args=["acme"]) + "?sort=password")
    assert odd.status_code == 200 and _listed(odd.content.decode())[0] == "Risk 59"


def test_the_csv_holds_every_scored_account_with_numbers_as_numbers(
    client: Client, vic: Member, many_scored: ChurnModelRun
) -> None:
    response = login(client, vic).get(reverse("risk-csv", args=["acme"]) + "?sort=account")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response; the test client types every response as HttpResponse
    assert rows[0] == ["account", "tier", "owner", "churn_probability", "top_reasons"]
    assert len(rows) == 62 and rows[1][0] == "Globex" and rows[2][:4] == ["Risk 00", "enterprise", "", "0.01"]
    assert rows[1][4].startswith("Usage trend = '-0.6") or rows[1][4].startswith("Usage trend = -0.6")


def test_the_csv_is_404_for_an_outsider_and_asks_a_stranger_to_log_in(
    client: Client, olga: Member, many_scored: ChurnModelRun
) -> None:
    assert client.get(reverse("risk-csv", args=["acme"])).status_code == 302
    assert login(client, olga).get(reverse("risk-csv", args=["acme"])).status_code == 404


@pytest.fixture
def gated(workspace: Workspace, scored: ChurnModelRun) -> ChurnModelRun:
    """A week after the scored run, a training on a small history that did not pass the quality gate."""
    return ChurnModelRun.objects.create(
        workspace=workspace,
        trained_at=scored.trained_at + dt.timedelta(days=7),
        status=RunStatus.GATED,
        message="12 churned accounts; at least 30 needed; held-out AUC 0.25 < 0.60",
        window={"first": "2025-02-01", "holdout_from": "2026-06-01", "last": "2026-08-01", "snapshots": 19},
        model="logistic_regression",
        rows=400,
        positives=20,
        churned_accounts=12,
        holdout_rows=60,
        holdout_positives=4,
        holdout_auc=0.247,
        holdout_brier=0.09,
        calibration=[{"lower": 0.0, "upper": 0.1, "count": 60, "mean_predicted": 0.05, "observed_rate": 0.07}],
    )


def test_a_model_below_the_gate_lists_no_account_and_says_what_data_is_missing(
    client: Client, vic: Member, olga: Member, gated: ChurnModelRun
) -> None:
    response = login(client, vic).get(reverse("risk", args=["acme"]))
    page = response.content.decode()
    assert 'id="gated"' in page and "The churn model is not used to score accounts" in page
    assert (
        '<strong id="gate-reasons">12 churned accounts; at least 30 needed; held-out AUC 0.25 &lt; 0.60</strong>'
        in page
    )
    assert "<strong>Churned accounts: 12</strong> (at least 30). Missing: 18 more accounts" in page
    assert "<strong>Held-out ROC-AUC: 0.25</strong> (at least 0.60)" in page
    assert "0.247" in page and "12 distinct accounts" in page  # the gated model's own evaluation
    assert response.context["run"] is None and 'id="risks"' not in page and "Globex" not in page
    download = client.get(reverse("risk-csv", args=["acme"]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))  # type: ignore[attr-defined]  # a CSV download is a streaming response
    assert rows == [["account", "tier", "owner", "churn_probability", "top_reasons"]]
    assert login(client, olga).get(reverse("risk", args=["acme"])).status_code == 404


def test_the_account_page_says_the_model_is_not_in_use(
    client: Client, carol: Member, scored: ChurnModelRun, gated: ChurnModelRun
) -> None:
    account = scored.risks.get().account
    page = login(client, carol).get(reverse("account", args=["acme", account.pk])).content.decode()
    assert "42%" not in page
    assert "not scored: the churn model is not in use (12 churned accounts; at least 30 needed" in page


def test_renewals_show_no_expected_arr_and_say_why_when_the_model_is_below_the_gate(
    client: Client, vic: Member, workspace: Workspace, scored: ChurnModelRun, gated: ChurnModelRun
) -> None:
    account = scored.risks.get().account
    renewal = open_renewal(workspace, account, workspace_today(workspace))
    # Globex has a score, but from the model a later training below the gate retired.
    assert renewal_selectors.expectation(renewal_selectors.renewal_annotated(workspace, renewal.pk)).amount is None
    login(client, vic)
    for name in ("renewals", "renewals-at-risk"):
        page = client.get(reverse(name, args=["acme"])).content.decode()
        assert 'id="churn-model-gated"' in page and "the churn model is not in use (12 churned accounts" in page
    page = client.get(reverse("renewal", args=["acme", renewal.pk])).content.decode()
    assert "no churn score for this account yet" in page and 'id="churn-model-gated"' in page
