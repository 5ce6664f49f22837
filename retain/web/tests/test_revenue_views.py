"""The revenue dashboard: members read it (the viewer too), outsiders get 404; the figures on the
page are the engine's, each with its formula; every table downloads as CSV; the query count stays
fixed however many accounts. The ledger is the hand-worked one of retain/metrics/tests/test_engine.py.
"""

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
from django.utils.html import escape

from conftest import PASSWORD
from retain.accounts.figures import Filters
from retain.accounts.models import Account
from retain.accounts.selectors import workspace_today
from retain.metrics import clv, cohorts, engine
from retain.metrics.tests.test_engine import Q1, _account, _subscription
from retain.metrics.tests.test_engine import book as book  # the hand-worked ledger fixture
from retain.risk.tests.ledger import customer
from retain.tenancy.models import Member, Workspace

pytestmark = pytest.mark.django_db

Q1_QUERY = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}


def login(client: Client, member: Member) -> Client:
    assert client.login(username=member.user.get_username(), password=PASSWORD)
    return client


def url(slug: str = "acme") -> str:
    return reverse("revenue", args=[slug])


def csv_table(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_outsider_gets_404(client: Client, olga: Member, workspace: Workspace) -> None:
    assert login(client, olga).get(url()).status_code == 404
    assert client.get(url(), {"format": "csv", "table": "waterfall"}).status_code == 404


def test_it_requires_login(client: Client, workspace: Workspace) -> None:
    assert client.get(url()).status_code == 302


def test_a_viewer_reads_the_dashboard(client: Client, vic: Member, book: dict[str, Account]) -> None:
    response = login(client, vic).get(url(), Q1_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/w/acme/revenue/"' in page and ">Revenue</a>" in page
    assert 'id="waterfall-spec"' in page and 'id="trend-spec"' in page
    assert "vendor/vega-embed.min.js" in page


def test_it_is_read_only(client: Client, alice: Member, workspace: Workspace) -> None:
    assert login(client, alice).post(url()).status_code == 405


def test_the_figures_are_the_engines_with_their_formulas(
    client: Client,
    alice: Member,
    book: dict[str, Account],
) -> None:
    response = login(client, alice).get(url(), Q1_QUERY)
    metrics = engine.revenue_metrics(alice.workspace, Q1)
    assert response.context["metrics"] == metrics
    page = response.content.decode()
    for _, _, figure in metrics.figures():
        assert escape(figure.formula) in page and escape(figure.worked) in page
    assert "NRR = $2,700 / $3,500 = 77.1% (3 accounts)" in page
    assert "Eligible churn = $6,000 / $18,000 = 33.3%" in page
    displays = {row["key"]: row["display"] for row in response.context["figures"]}
    assert displays["nrr"] == "77.1%" and displays["arr_start"] == "$42,000" and displays["nps"] == "—"
    quota = response.context["quota"]
    assert [row.label for row in quota] == ["Carol"] and "74%" in page and "104.9%</td>" in page


def test_filters_reach_the_engine(client: Client, mark: Member, dave: Member, book: dict[str, Account]) -> None:
    response = login(client, mark).get(url(), {**Q1_QUERY, "tier": "community"})
    assert response.context["metrics"] == engine.revenue_metrics(mark.workspace, Q1, Filters(tier="community"))
    response = client.get(url(), {**Q1_QUERY, "owner": str(dave.pk)})
    assert (
        response.context["metrics"].waterfall.end
        == engine.revenue_metrics(mark.workspace, Q1, Filters(owner=dave)).waterfall.end
    )


def test_the_quota_target_can_be_set(client: Client, alice: Member, book: dict[str, Account]) -> None:
    response = login(client, alice).get(url(), {**Q1_QUERY, "target": "100"})
    [row] = response.context["quota"]
    assert row.target == Decimal(1) and row.attainment.value == pytest.approx(32_400 / 42_000)
    response = client.get(url(), {**Q1_QUERY, "target": "0"})
    assert "target" in response.context["form"].errors
    assert response.context["quota"][0].full_target == Decimal("1.2")


def test_the_default_period_is_this_quarter_to_date(client: Client, alice: Member, workspace: Workspace) -> None:
    response = login(client, alice).get(url())
    period = response.context["period"]
    assert period.start.day == 1 and period.start.month in (1, 4, 7, 10)
    assert (period.end - period.start).days < 92
    # The dropdown shows the period the page shows, with or without other filters in the query.
    assert '<option value="quarter" selected>This quarter</option>' in response.content.decode()
    filtered = client.get(url(), {"tier": "enterprise"}).content.decode()
    assert '<option value="quarter" selected>This quarter</option>' in filtered


def test_a_custom_period_names_missing_and_reversed_days(client: Client, alice: Member, workspace: Workspace) -> None:
    response = login(client, alice).get(url(), {"period": "custom", "start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"end": ["must not be before the start"]}
    response = client.get(url(), {"period": "custom"})
    assert set(response.context["form"].errors) == {"start", "end"}


def test_every_table_downloads_as_csv(client: Client, vic: Member, book: dict[str, Account]) -> None:
    login(client, vic)
    response = client.get(url(), {**Q1_QUERY, "format": "csv", "table": "waterfall"})
    assert response["Content-Type"].startswith("text/csv")
    assert "acme-revenue-waterfall-2026-01-01-2026-03-31.csv" in response["Content-Disposition"]
    rows = csv_table(response)
    assert rows[0] == ["step", "arr", "currency"]
    assert rows[1] == ["ARR at start", "42000.00", "USD"] and rows[-1] == ["ARR at end", "40800.00", "USD"]
    figures = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "figures"}))
    assert figures[0] == ["figure", "value", "formula", "worked"] and len(figures) == 11
    trend = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "trend"}))
    assert len(trend) == 13 and trend[-1][0] == "2026-03-01"
    quota = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "quota"}))
    assert quota[1][:4] == ["Carol", "3", "42000.00", "32400.00"]
    assert client.get(url(), {"format": "csv", "table": "nope"}).status_code == 404


def test_the_csv_tables_neutralise_formulas_and_keep_negative_amounts_numbers(
    client: Client, vic: Member, carol: Member, olga: Member, book: dict[str, Account]
) -> None:
    carol.user.first_name, carol.user.last_name = "=Carol", ""
    carol.user.save()
    login(client, vic)
    waterfall = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "waterfall"}))
    losses = [amount for _, amount, _ in waterfall[1:] if amount.startswith("-")]
    assert losses and all(Decimal(amount) < 0 for amount in losses)
    quota = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "quota"}))
    assert quota[1][:4] == ["'=Carol", "3", "42000.00", "32400.00"]
    spend = csv_table(client.get(url(), {**Q1_QUERY, "format": "csv", "table": "spend"}))
    assert spend[0] == ["figure", "value", "formula", "worked"] and len(spend) > 1
    assert login(client, olga).get(url(), {**Q1_QUERY, "format": "csv", "table": "spend"}).status_code == 404


def test_the_query_count_does_not_grow_with_the_book(
    client: Client,
    alice: Member,
    carol: Member,
    book: dict[str, Account],
) -> None:
    login(client, alice)
    client.get(url(), Q1_QUERY)  # warm the session and content types

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url(), Q1_QUERY).status_code == 200
        return len(context)

    before = count()
    for i in range(6):
        extra = _account(alice.workspace, f"Extra {i}", "enterprise", carol)
        _subscription(extra, "100", Q1.start.replace(year=2025), Q1.end)
    assert count() == before


@pytest.fixture
def cohorts_by_tier(workspace: Workspace) -> None:
    """Community: 12 accounts paying 300/month since 400 days ago, 7 of them lost; strategic: 12
    paying 5,000/month, one lost (too few losses to value a customer)."""
    started = workspace_today(workspace) - dt.timedelta(days=400)
    for i in range(12):
        lost = started + dt.timedelta(days=60) if i < 3 else started + dt.timedelta(days=200) if i < 7 else None
        customer(workspace, f"C {i}", started=started, lost=lost, mrr=300)
        lost = started + dt.timedelta(days=60) if i == 0 else None
        customer(workspace, f"S {i}", started=started, lost=lost, mrr=5000, tier="strategic")
    workspace.gross_margin_pct = 70
    workspace.save()


def test_clv_per_tier_shows_both_ways_at_the_workspaces_margin(
    client: Client, vic: Member, workspace: Workspace, cohorts_by_tier: None
) -> None:
    response = login(client, vic).get(url())
    page = response.content.decode()
    expected = clv.clv_by_tier(cohorts.retention_by_tier(workspace), "USD")
    assert [item.tier for item in response.context["lifetimes"]] == ["community", "enterprise", "strategic"]
    community = expected[0]
    assert community.seed.value is not None and community.sbg_new.value is not None
    assert '<strong id="clv-margin">70%</strong>' in page
    for key, _, figure in community.figures():
        assert f'id="clv-community-{key}"' in page and escape(figure.worked) in page
    assert "<dt>gross margin</dt><dd>70%</dd>" in page
    assert escape(community.explanation) in page
    # Strategic: one loss, so no division by a near-zero churn rate.
    assert (
        'id="clv-strategic-refusal">No CLV at the 70% gross margin: not enough churn history: 1 account(s) lost' in page
    )
    # The cohort retention page shows the same values.
    retention = client.get(reverse("retention", args=["acme"])).content.decode()
    assert escape(community.seed.worked) in retention and escape(community.sbg_residual.worked) in retention
    assert "not enough churn history: 1 account(s) lost" in retention


def test_the_clvs_download_as_csv_and_follow_the_tier_filter(
    client: Client, vic: Member, olga: Member, workspace: Workspace, cohorts_by_tier: None
) -> None:
    rows = csv_table(login(client, vic).get(url(), {"format": "csv", "table": "clv", "tier": "community"}))
    assert rows[0] == ["tier", "clv", "value", "formula", "worked"]
    assert [row[:2] for row in rows[1:]] == [
        ["community", "seed"],
        ["community", "sbg_new"],
        ["community", "sbg_residual"],
    ]
    assert all(row[2] and "70%" in row[4] for row in rows[1:])
    strategic = csv_table(client.get(url(), {"format": "csv", "table": "clv", "tier": "strategic"}))
    assert [row[2] for row in strategic[1:]] == ["", "", ""]
    assert login(client, olga).get(url(), {"format": "csv", "table": "clv"}).status_code == 404
