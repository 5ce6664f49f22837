"""The leadership pack: seed 001's key performance metrics of a whole workspace for one quarter.

Every figure comes from the function the app's own page uses for it, called for the same period, so
the pack and the page cannot disagree:

- % of accounts green, NRR, GRR, logo and revenue churn, eligible churn, NPS and % of survey answers
  above 3.5: `metrics.engine.revenue_metrics` (the revenue page) over the quarter to date;
- CSM quota attainment against the 120% target: `metrics.engine.quota_attainment` (the revenue page's
  quota table; a CSM's book is the accounts they held at the quarter's start, read from the account's
  owner and its "owner changed" entries, so no team or ownership app is needed), and each CSM's GRR from
  `revenue_metrics` narrowed to the accounts they own today (the revenue page with its CSM filter);
- the green trend and the accounts active on at least half of the last 28 days: `health.portfolio`
  (the health page);
- renewals of the next 90 days: `renewals.selectors.board` (the renewals board at 90 days);
- QBR coverage: `reports.selectors.qbr_coverage` (the health and team pages).

The pack is plain JSON-like data: every figure is the dict `pack._figure` makes, so the page, the
HTML file and the PDF print the same formula, worked line, period and source.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from retain.accounts.figures import Figure, Filters, Period
from retain.accounts.models import Account
from retain.health import portfolio
from retain.health.choices import Band
from retain.lib.money import format_money
from retain.metrics import engine
from retain.renewals import selectors as renewal_selectors
from retain.reports.pack import _figure, as_of_day
from retain.reports.periods import Quarter
from retain.reports.selectors import CoverageRow, qbr_coverage
from retain.tenancy.models import Workspace

RENEWAL_HORIZON = 90
TREND_WEEKS = 13  # a quarter of weekly points


def _share(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def _from(key: str, label: str, figure: Figure, shown: str, period: str, source: str) -> dict[str, Any]:
    return _figure(key, label, figure.value, shown, figure.formula, figure.worked, period, source)


def quarter_period(workspace: Workspace, quarter: Quarter, *, today: dt.date) -> Period:
    """The days the pack counts: the quarter, up to today while it runs (as business reviews count)."""
    as_of = as_of_day(quarter, today)
    return Period(quarter.start, max(quarter.start, as_of), workspace.time_zone)


def build(workspace: Workspace, quarter: Quarter, *, today: dt.date) -> dict[str, Any]:
    """The leadership pack of `workspace` for `quarter`, counted up to today while the quarter runs."""
    period = quarter_period(workspace, quarter, today=today)
    label = f"{quarter.name} ({period.start.isoformat()} to {period.end.isoformat()})"
    metrics = engine.revenue_metrics(workspace, period)
    return {
        "vendor": workspace.name,
        "currency": workspace.currency,
        "period": {
            "name": quarter.name,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": label,
            "today": today.isoformat(),
        },
        "health": _health(workspace, metrics, period, label),
        "usage": _usage(workspace, period),
        "surveys": _surveys(metrics, label),
        "retention": _retention(metrics, label),
        "csms": _csms(workspace, period, label),
        "churn": _churn(metrics, label),
        "renewals": _renewals(workspace, today),
        "coverage": _coverage(workspace, period.end),
    }


# Health ------------------------------------------------------------------------------------------


def _health(workspace: Workspace, metrics: engine.RevenueMetrics, period: Period, label: str) -> dict[str, Any]:
    accounts = Account.objects.filter(workspace=workspace)
    weeks = portfolio.band_trend(
        workspace.pk, portfolio.portfolio_accounts(accounts), period.end, TREND_WEEKS, all_accounts=accounts
    )
    trend = [
        {
            "week": week.day.isoformat(),
            "green": week.counts.get(Band.GREEN, 0),
            "scored": week.scored,
            "share": _share(week.share(Band.GREEN), 0),
        }
        for week in weeks
    ]
    first = next((w for w in weeks if w.scored), None)
    last = weeks[-1] if weeks and weeks[-1].scored else None
    change = None
    if first is not None and last is not None and first is not last:
        change = (last.share(Band.GREEN) or 0.0) - (first.share(Band.GREEN) or 0.0)
    figures = [
        _from(
            "green_share",
            "Accounts green",
            metrics.green_share,
            _share(metrics.green_share.value, 0),
            f"on {period.end.isoformat()}",
            "health scores (revenue page)",
        ),
        _figure(
            "green_trend",
            "Change in accounts green",
            change,
            "—" if change is None else f"{100 * change:+.0f} points",
            "Change = % green on the last week − % green on the first scored week of the trend "
            "(each week: accounts in the green band / accounts scored that day)",
            "no trend yet"
            if change is None or first is None or last is None
            else f"Change = {_share(last.share(Band.GREEN), 0)} on {last.day.isoformat()} − "
            f"{_share(first.share(Band.GREEN), 0)} on {first.day.isoformat()}",
            f"{TREND_WEEKS} weeks to {period.end.isoformat()}",
            "health scores (health page trend)",
        ),
    ]
    return {"figures": figures, "trend": trend, "label": label}


# Usage -------------------------------------------------------------------------------------------


def _usage(workspace: Workspace, period: Period) -> dict[str, Any]:
    data = portfolio.portfolio(Account.objects.filter(workspace=workspace), workspace_id=workspace.pk, day=period.end)
    customers = len(data.accounts)
    active = sum(1 for account in data.accounts if account.active_days >= portfolio.ACTIVITY_SPLIT)
    value = None if not customers else active / customers
    window = f"{portfolio.ACTIVITY_DAYS} days to {period.end.isoformat()}"
    figures = [
        _figure(
            "active_share",
            "Accounts active",
            value,
            _share(value, 0),
            f"Accounts active = customers with product use on at least {portfolio.ACTIVITY_SPLIT} of the last "
            f"{portfolio.ACTIVITY_DAYS} days / customers",
            f"Accounts active = {active} / {customers} = {_share(value, 0)}",
            window,
            "usage rollups (health page quadrant)",
        )
    ]
    quadrants = [
        {"name": q.name, "count": data.quadrant_counts[q.key], "advice": q.advice} for q in portfolio.QUADRANTS
    ]
    return {"figures": figures, "quadrants": quadrants, "window": window}


# Surveys, retention and churn --------------------------------------------------------------------


def _surveys(metrics: engine.RevenueMetrics, label: str) -> dict[str, Any]:
    nps, csat = metrics.nps, metrics.csat
    return {
        "figures": [
            _from("nps", "NPS", nps, "—" if nps.value is None else f"{nps.value:.0f}", label, "survey answers"),
            _from("csat", "Survey answers > 3.5 (of 5)", csat, _share(csat.value), label, "survey answers"),
        ]
    }


def _retention(metrics: engine.RevenueMetrics, label: str) -> dict[str, Any]:
    return {
        "figures": [
            _from("nrr", "Net revenue retention", metrics.nrr, _share(metrics.nrr.value), label, "ledger"),
            _from("grr", "Gross revenue retention", metrics.grr, _share(metrics.grr.value), label, "ledger"),
        ]
    }


def _churn(metrics: engine.RevenueMetrics, label: str) -> dict[str, Any]:
    return {
        "figures": [
            _from("logo_churn", "Logo churn", metrics.logo_churn, _share(metrics.logo_churn.value), label, "ledger"),
            _from(
                "revenue_churn",
                "Revenue churn",
                metrics.revenue_churn,
                _share(metrics.revenue_churn.value),
                label,
                "subscription ledger",
            ),
            _from(
                "eligible_churn",
                "Eligible churn",
                metrics.eligible_churn,
                _share(metrics.eligible_churn.value),
                label,
                "subscriptions due for renewal",
            ),
        ]
    }


def _csms(workspace: Workspace, period: Period, label: str) -> dict[str, Any]:
    currency = workspace.currency
    rows = []
    for row in engine.quota_attainment(workspace, period):
        grr: Figure | None = None
        if row.member is not None:
            grr = engine.revenue_metrics(workspace, period, Filters(owner=row.member)).grr
        rows.append(
            {
                "csm": row.label,
                "accounts": row.accounts,
                "arr_start": format_money(row.arr_start, currency),
                "arr_end": format_money(row.arr_end, currency),
                "nrr": _share(row.net_retention),
                "target": _share(float(row.target)),
                "attainment": _from(
                    f"attainment:{row.label}",
                    f"Quota attainment · {row.label}",
                    row.attainment,
                    _share(row.attainment.value),
                    label,
                    "subscription ledger, book at the quarter's start",
                ),
                "grr": None
                if grr is None
                else _from(
                    f"grr:{row.label}",
                    f"GRR · {row.label}",
                    grr,
                    _share(grr.value),
                    label,
                    "subscription ledger, accounts owned today",
                ),
            }
        )
    target = engine.DEFAULT_QUOTA_TARGET
    return {
        "rows": rows,
        "target": _share(float(target), 0),
        "note": f"Target: book ARR × {_share(float(target), 0)} over a year, its share for the quarter's days.",
    }


# Renewals and QBR coverage -----------------------------------------------------------------------


def _renewals(workspace: Workspace, today: dt.date) -> dict[str, Any]:
    board = renewal_selectors.board(workspace, RENEWAL_HORIZON, today=today)
    currency = workspace.currency
    until = board.until.isoformat()
    window = f"{today.isoformat()} to {until} (overdue included)"
    columns = [
        {
            "label": column.label,
            "count": column.count,
            "target_arr": format_money(column.target_arr, currency),
            "expected_arr": format_money(column.expected_arr, currency),
        }
        for column in board.columns
    ]
    figures = [
        _figure(
            "renewals_due",
            "Renewals in the next 90 days",
            board.count,
            str(board.count),
            "Renewals due = open renewals whose term ends by today + 90 days (overdue ones included)",
            f"Renewals due = {board.count}",
            window,
            "renewals board",
        ),
        _figure(
            "renewals_arr",
            "ARR up for renewal",
            float(board.target_arr),
            format_money(board.target_arr, currency),
            "ARR up for renewal = Σ target ARR of those renewals",
            f"ARR up for renewal = {format_money(board.target_arr, currency)} over {board.count} renewals",
            window,
            "renewals board",
        ),
        _figure(
            "renewals_expected",
            "Expected ARR",
            float(board.expected_arr),
            format_money(board.expected_arr, currency),
            renewal_selectors.EXPECTED_FORMULA,
            f"Expected ARR = {format_money(board.expected_arr, currency)} ({board.expected_count} renewals with an "
            f"expectation)",
            window,
            "renewals board",
        ),
    ]
    return {"figures": figures, "columns": columns}


def _coverage(workspace: Workspace, day: dt.date) -> dict[str, Any]:
    coverage = qbr_coverage(workspace, today=day)

    def shown(figure: Figure) -> str:
        return "—" if figure.value is None else f"{figure.value:.0f}%"

    def row(found: CoverageRow) -> dict[str, str]:
        return {"label": found.label, "shown": shown(found.figure), "worked": found.figure.worked}

    period = f"100 days to {day.isoformat()}"
    return {
        "figures": [
            _from("qbr_coverage", "QBR coverage", coverage.overall, shown(coverage.overall), period, "reviews")
        ],
        "by_owner": [row(r) for r in coverage.by_owner],
        "by_tier": [row(r) for r in coverage.by_tier],
        "overdue": coverage.overdue_count,
    }


def figures(pack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every headline figure of the pack by key (the per-CSM rows aside)."""
    found: dict[str, dict[str, Any]] = {}
    for section in ("health", "usage", "surveys", "retention", "churn", "renewals", "coverage"):
        for figure in pack[section]["figures"]:
            found[figure["key"]] = figure
    return found
