"""Portfolio targets (seed 002: unhealthy accounts from 34% to 25%; seed 003: NRR 120%; QBR coverage
90%): a manager sets where a portfolio figure should be by a date; the page shows where it started,
where it is, how much of the way has been covered, and its history.

Every figure is read through the function the page that shows it uses, so the pages never disagree:

- unhealthy_share: health.portfolio.portfolio (the health dashboard): red accounts / accounts with a
  fresh health score; its history from health.portfolio.band_trend (the dashboard's trend).
- nrr: metrics.engine.revenue_metrics (the revenue page) over the 12 months ending the day.
- qbr_coverage: reports.selectors.qbr_coverage (the health and team pages), as a fraction.

Values are fractions (0.34 for 34%). Progress = (current − start) / (target − start): 0% where it
started, 100% at the target, negative when it moved away. Expected by now = the straight line from
start (on the day set) to target (on the due day); "on track" when the figure is at or past it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from retain.accounts.figures import Figure, Period
from retain.accounts.models import Account
from retain.health import portfolio
from retain.health.choices import Band
from retain.metrics import engine
from retain.reports.selectors import qbr_coverage
from retain.team.choices import TargetFigure
from retain.team.models import PortfolioTarget
from retain.tenancy.models import Member, Workspace

TREND_WEEKS = 12
NRR_DAYS = 365
LOWER = -1
HIGHER = 1


@dataclass(frozen=True)
class Point:
    day: dt.date
    value: float | None


@dataclass(frozen=True)
class FigureSource:
    key: str
    label: str
    direction: int  # LOWER: the target is below the start; HIGHER: above
    page: str  # the page that shows the figure (url name)
    current: Callable[[Workspace, dt.date], Figure]
    history: Callable[[Workspace, dt.date, int], list[Point]]


def _unhealthy_figure(counts: dict[str, int]) -> Figure:
    red = counts.get(Band.RED, 0)
    scored = sum(counts.get(b, 0) for b in portfolio.SCORED_BANDS)
    formula = "Unhealthy share = red accounts / accounts with a health score (churned accounts left out)"
    if not scored:
        return Figure(None, formula, {"red": red, "scored": scored}, "no account has a health score")
    return Figure(
        red / scored, formula, {"red": red, "scored": scored}, f"{red} / {scored} = {100 * red / scored:.1f}%"
    )


def unhealthy_current(workspace: Workspace, day: dt.date) -> Figure:
    data = portfolio.portfolio(
        Account.objects.filter(workspace=workspace), workspace_id=workspace.pk, day=day, trend_weeks=0
    )
    return _unhealthy_figure(data.counts)


def unhealthy_history(workspace: Workspace, day: dt.date, weeks: int) -> list[Point]:
    accounts = Account.objects.filter(workspace=workspace)
    weeks_ = portfolio.band_trend(
        workspace.pk, portfolio.portfolio_accounts(accounts), day, weeks, all_accounts=accounts
    )
    return [Point(w.day, w.share(Band.RED)) for w in weeks_]


def nrr_current(workspace: Workspace, day: dt.date) -> Figure:
    period = Period(day - dt.timedelta(days=NRR_DAYS - 1), day, workspace.time_zone)
    figure = engine.revenue_metrics(workspace, period).nrr
    return Figure(
        figure.value,
        f"{figure.formula}, over the 12 months {period.start} to {period.end} "
        "(the revenue page's figure for that period)",
        figure.inputs,
        figure.worked,
    )


def nrr_history(workspace: Workspace, day: dt.date, weeks: int) -> list[Point]:
    days = [day - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    return [Point(d, nrr_current(workspace, d).value) for d in days]


def qbr_current(workspace: Workspace, day: dt.date) -> Figure:
    figure = qbr_coverage(workspace, today=day).overall
    return Figure(None if figure.value is None else figure.value / 100, figure.formula, figure.inputs, figure.worked)


def qbr_history(workspace: Workspace, day: dt.date, weeks: int) -> list[Point]:
    days = [day - dt.timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    return [Point(d, qbr_current(workspace, d).value) for d in days]


FIGURES: dict[str, FigureSource] = {
    TargetFigure.UNHEALTHY_SHARE: FigureSource(
        TargetFigure.UNHEALTHY_SHARE,
        str(TargetFigure.UNHEALTHY_SHARE.label),
        LOWER,
        "health",
        unhealthy_current,
        unhealthy_history,
    ),
    TargetFigure.NRR: FigureSource(
        TargetFigure.NRR, str(TargetFigure.NRR.label), HIGHER, "revenue", nrr_current, nrr_history
    ),
    TargetFigure.QBR_COVERAGE: FigureSource(
        TargetFigure.QBR_COVERAGE, str(TargetFigure.QBR_COVERAGE.label), HIGHER, "health", qbr_current, qbr_history
    ),
}


def progress_pct(start: float | None, current: float | None, target: float) -> float | None:
    """% of the way from start to target; None without a start or current value."""
    if start is None or current is None:
        return None
    if target == start:
        return 100.0 if current == target else 0.0
    return 100 * (current - start) / (target - start)


def expected_by(target: PortfolioTarget, day: dt.date) -> float | None:
    """Where the straight line from start to target stands on `day`."""
    if target.start_value is None:
        return None
    total = (target.due_on - target.start_on).days
    if total <= 0 or day >= target.due_on:
        return target.target_value
    elapsed = max((day - target.start_on).days, 0)
    return target.start_value + (target.target_value - target.start_value) * elapsed / total


@dataclass(frozen=True)
class TargetView:
    target: PortfolioTarget
    source: FigureSource
    current: Figure
    progress: float | None
    expected: float | None
    on_track: bool | None
    reached: bool | None
    history: list[Point]

    @property
    def progress_worked(self) -> str:
        t = self.target
        if self.progress is None:
            return "progress = no start or current value"
        return (
            f"progress = (current − start) / (target − start) = ({_pct(self.current.value)} − {_pct(t.start_value)})"
            f" / ({_pct(t.target_value)} − {_pct(t.start_value)}) = {self.progress:.0f}%"
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _met(source: FigureSource, value: float | None, bar: float | None) -> bool | None:
    if value is None or bar is None:
        return None
    return value <= bar if source.direction == LOWER else value >= bar


def target_view(target: PortfolioTarget, *, today: dt.date, weeks: int = TREND_WEEKS) -> TargetView:
    source = FIGURES[target.figure]
    current = source.current(target.workspace, today)
    expected = expected_by(target, today)
    return TargetView(
        target=target,
        source=source,
        current=current,
        progress=progress_pct(target.start_value, current.value, target.target_value),
        expected=expected,
        on_track=_met(source, current.value, expected),
        reached=_met(source, current.value, target.target_value),
        history=source.history(target.workspace, today, weeks) if weeks else [],
    )


def workspace_targets(workspace: Workspace, *, today: dt.date, weeks: int = TREND_WEEKS) -> list[TargetView]:
    targets = PortfolioTarget.objects.filter(workspace=workspace).select_related("workspace", "created_by__user")
    return [target_view(t, today=today, weeks=weeks) for t in targets]


# Writes ------------------------------------------------------------------------------------------


def _share(name: str, value: object) -> float:
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        raise ValidationError({name: "must be a percentage such as 25 or 120"}) from None
    if not 0 <= number <= 1000:
        raise ValidationError({name: "must be between 0 and 1000 (%)"})
    return number / 100


@transaction.atomic
def target_set(
    *,
    workspace: Workspace,
    actor: Member | None,
    figure: str,
    target_pct: object,
    due_on: dt.date | None,
    today: dt.date,
    note: str = "",
    start_pct: object = None,
) -> PortfolioTarget:
    """Set (or change) the target on a figure. The start is the figure's value today unless given;
    changing a target keeps its start. Targets are in % (25 for 25%)."""
    if figure not in FIGURES:
        raise ValidationError({"figure": f"must be one of {', '.join(FIGURES)}"})
    target_value = _share("target", target_pct)
    if due_on is None:
        raise ValidationError({"due_on": "is required (YYYY-MM-DD)"})
    if due_on <= today:
        raise ValidationError({"due_on": f"must lie after today ({today})"})
    if len(note) > 300:
        raise ValidationError({"note": "must be at most 300 characters"})
    existing = PortfolioTarget.objects.select_for_update().filter(workspace=workspace, figure=figure).first()
    if existing is not None:
        existing.target_value = target_value
        existing.due_on = due_on
        existing.note = note
        if start_pct not in (None, ""):
            existing.start_value = _share("start", start_pct)
        existing.save(update_fields=["target_value", "due_on", "note", "start_value"])
        return existing
    start = (
        _share("start", start_pct) if start_pct not in (None, "") else FIGURES[figure].current(workspace, today).value
    )
    return PortfolioTarget.objects.create(
        workspace=workspace,
        figure=figure,
        start_value=start,
        start_on=today,
        target_value=target_value,
        due_on=due_on,
        note=note,
        created_by=actor,
    )


@transaction.atomic
def target_delete(*, target: PortfolioTarget, actor: Member | None) -> None:
    target.delete()
