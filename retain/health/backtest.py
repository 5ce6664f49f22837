"""Does the score predict churn? Replay the scorecards at past dates and compare with what happened.

For each snapshot day D (from `start` to `end`, every `step_days`), the accounts paying on D (as the
subscription ledger, `accounts.ledger`, defines it) are scored as of D: the measures read only
rollups and history dated on or before D, and the scorecards are today's (or a draft). Each such
account-snapshot is labelled *churned* when the account has a churn day within (D, D + horizon].

The report: ROC-AUC of (100 − overall) as a churn predictor with a clustered bootstrap interval
(accounts resampled, `validation.bootstrap_auc`), churn rate per band with counts, the lift of red
over green, and per scorecard the weights a logistic regression of churn on the measure scores
suggests beside the current ones. With fewer than `MIN_CHURNED` churned accounts in the window it
says it cannot conclude: the interval would be too wide to mean anything.

Unscored accounts (no measure had an input) are counted in the blank band and left out of the AUC.
A snapshot whose horizon reaches past today sees only part of its window; the report says how many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retain.accounts import ledger as subscription_ledger
from retain.accounts.selectors import workspace_today
from retain.health import scoring, validation
from retain.health.choices import Band
from retain.health.models import Scorecard
from retain.tenancy.models import Workspace

BAND_ORDER = (Band.RED.value, Band.YELLOW.value, Band.GREEN.value, Band.BLANK.value)


# The report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureWeights:
    kind: str
    label: str
    current: float  # the scorecard's nominal effective weight, % of the overall score
    suggested: float | None  # from the logistic regression, same units
    coefficient: float | None  # standardised; negative = a higher score goes with less churn


@dataclass(frozen=True)
class ScorecardFit:
    name: str
    rows: int
    churned_rows: int
    auc: float | None
    cv_auc: float | None  # the fitted weights' own cross-validated AUC
    measures: tuple[MeasureWeights, ...]
    note: str = ""


@dataclass
class Row:
    account_id: int
    day: dt.date
    overall: float | None
    band: str
    churned: bool
    scorecard: str
    scores: dict[str, float | None]


@dataclass
class BacktestReport:
    start: dt.date
    end: dt.date
    step_days: int
    horizon_days: int
    snapshots: list[dt.date]
    rows: list[Row] = field(repr=False)
    truncated_snapshots: int
    auc: float | None
    interval: validation.Interval | None
    bands: list[validation.BandRate]
    lift: float | None
    churned_accounts: int
    fits: list[ScorecardFit]

    @property
    def refused(self) -> bool:
        return self.churned_accounts < validation.MIN_CHURNED

    @property
    def message(self) -> str:
        if self.refused:
            return (
                f"Refusing to conclude: only {self.churned_accounts} churned accounts in the window "
                f"(at least {validation.MIN_CHURNED} are needed for the figures to mean anything)."
            )
        if self.interval is not None and self.interval.low > 0.5:
            return "The score predicts churn better than chance (the AUC interval lies above 0.5)."
        return "The score does not predict churn reliably better than chance (the AUC interval reaches 0.5)."

    @property
    def churned_rows(self) -> int:
        return sum(row.churned for row in self.rows)

    @property
    def accounts(self) -> int:
        return len({row.account_id for row in self.rows})

    def rate(self, band: str) -> float | None:
        return next((b.rate for b in self.bands if b.band == band), None)

    def lines(self) -> list[str]:
        """The report in readable lines (the command prints them)."""
        out = [
            f"Backtest {self.start} to {self.end}: {len(self.snapshots)} snapshots every {self.step_days} days, "
            f"churn within {self.horizon_days} days after each.",
            f"Account-snapshots: {len(self.rows)} ({self.accounts} accounts), churned: {self.churned_rows} "
            f"({self.churned_accounts} accounts).",
        ]
        if self.truncated_snapshots:
            out.append(
                f"Note: {self.truncated_snapshots} snapshot(s) have a horizon reaching past today; "
                "churn after today is not yet known, so their rates are low."
            )
        if self.auc is None:
            out.append("ROC-AUC: not defined (the window needs both churned and retained accounts).")
        else:
            interval = (
                f", 95% interval {self.interval.low:.3f}–{self.interval.high:.3f} "
                f"(bootstrap over accounts, {self.interval.resamples} resamples)"
                if self.interval
                else ""
            )
            out.append(f"ROC-AUC of (100 − overall) as a churn predictor: {self.auc:.3f}{interval}")
        out.append("Churn rate per band (account-snapshots):")
        for band in self.bands:
            rate = "–" if band.rate is None else f"{100 * band.rate:.1f}%"
            out.append(f"  {band.band:<7} {band.accounts:>6} snapshots, {band.churned:>5} churned, {rate:>6}")
        out.append(f"Lift (red churn rate / green churn rate): {_fmt(self.lift, 2, 'undefined')}")
        for fit in self.fits:
            out.append(
                f"Scorecard {fit.name}: {fit.rows} snapshots, {fit.churned_rows} churned, "
                f"AUC {_fmt(fit.auc, 3)}; fitted weights' cross-validated AUC {_fmt(fit.cv_auc, 3)}"
                + (f" ({fit.note})" if fit.note else "")
            )
            out.append(f"  {'measure':<34} {'current %':>9} {'suggested %':>11} {'coef':>7}")
            for m in fit.measures:
                out.append(
                    f"  {m.label[:34]:<34} {m.current:>9.1f} {_fmt(m.suggested, 1):>11} {_fmt(m.coefficient, 2):>7}"
                )
        out.append(
            "Suggested weights: logistic regression of churn on the measure scores (missing → the measure's "
            "mean), standardised; weight = max(0, −coef / sd) scaled to sum to 100, like the current "
            "effective weights (each measure's share of the overall score)."
        )
        out.append(self.message)
        return out

    def summary(self) -> str:
        return (
            f"auc={_fmt(self.auc, 3)} auc_low={_fmt(self.interval.low if self.interval else None, 3)} "
            f"auc_high={_fmt(self.interval.high if self.interval else None, 3)} "
            f"red_churn={_fmt(self.rate('red'), 3)} green_churn={_fmt(self.rate('green'), 3)} "
            f"lift={_fmt(self.lift, 2)} churned={self.churned_accounts}"
        )


def _fmt(value: float | None, digits: int, missing: str = "na") -> str:
    # + 0.0 turns a negative zero into a plain one, so nothing prints as "-0.0".
    return missing if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


# Running it ---------------------------------------------------------------------------------------


def snapshot_days(start: dt.date, end: dt.date, step_days: int) -> list[dt.date]:
    if step_days < 1:
        raise ValueError("step_days must be at least 1")
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    days = []
    day = start
    while day <= end:
        days.append(day)
        day += dt.timedelta(days=step_days)
    return days


def nominal_weights(card: scoring.Scorecard) -> dict[str, float]:
    """Each measure's share of the overall score (%) when every input is present.

    Weighted average: the group's share times the measure's share in its group. Worst-of: the groups
    counted equally (the one that decides varies by account). Additive: the measures' weights.
    """
    shares: dict[str, float] = {}
    if card.composition == scoring.WORST_OF:
        group_total = float(len(card.groups))
        group_share = {g.name: 1.0 / group_total for g in card.groups}
    else:
        total = sum(g.weight for g in card.groups) or 1.0
        group_share = {g.name: g.weight / total for g in card.groups}
    for group in card.groups:
        inner = sum(m.weight for m in group.measures) or 1.0
        for measure in group.measures:
            shares[measure.kind] = shares.get(measure.kind, 0.0) + group_share[group.name] * measure.weight / inner
    return validation.normalised(shares)


Scorer = Callable[..., dict[int, tuple[Scorecard | None, scoring.HealthResult]]]


def backtest(
    *,
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    step_days: int = 30,
    horizon_days: int = 90,
    scorecards: list[Scorecard] | None = None,
    definitions: Sequence[scoring.Scorecard] | None = None,
    resamples: int = validation.BOOTSTRAP_RESAMPLES,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestReport:
    """Replay the scorecards at each snapshot day and measure how well they foresaw churn."""
    from retain.health.services import score_accounts

    days = snapshot_days(start, end, step_days)
    today = workspace_today(workspace)
    ledger = subscription_ledger.load(workspace)
    rows: list[Row] = []
    cards: dict[str, scoring.Scorecard] = {}
    known: dict[tuple[Any, ...], scoring.Scorecard | None] = {}
    for index, day in enumerate(days):
        paying = ledger.paying_on(day)
        if paying:
            scored = score_accounts(
                workspace=workspace, day=day, account_ids=paying, scorecards=scorecards, definitions=definitions
            )
            horizon_end = day + dt.timedelta(days=horizon_days)
            for account_id, (version, result) in scored.items():
                key: tuple[Any, ...] = (
                    ("version", version.pk)
                    if version is not None
                    else ("draft", result.composition, *((m.kind, m.label) for m in result.measures))
                )
                if key not in known:
                    known[key] = _definition_of(version, result, definitions)
                card = known[key]
                name = card.name if card is not None else (version.name if version is not None else "?")
                if card is not None:
                    cards.setdefault(name, card)
                rows.append(
                    Row(
                        account_id=account_id,
                        day=day,
                        overall=result.overall,
                        band=result.band or "blank",
                        churned=ledger[account_id].churned_between(day, horizon_end) is not None,
                        scorecard=name,
                        scores={m.kind: m.score for m in result.measures},
                    )
                )
        if progress:
            progress(index + 1, len(days))
    return _report(
        rows=rows,
        start=start,
        end=end,
        days=days,
        step_days=step_days,
        horizon_days=horizon_days,
        truncated=sum(1 for day in days if day + dt.timedelta(days=horizon_days) > today),
        cards=cards,
        resamples=resamples,
    )


def _definition_of(
    version: Scorecard | None, result: scoring.HealthResult, definitions: Sequence[scoring.Scorecard] | None
) -> scoring.Scorecard | None:
    from retain.health.selectors import definition_of

    if version is not None:
        return definition_of(version)
    # A draft: the definition whose measures these are.
    shape = [(m.kind, m.label) for m in result.measures]
    for card in definitions or ():
        if card.composition == result.composition and [(m.kind, m.label) for m in card.measures] == shape:
            return card
    return None


def _report(
    *,
    rows: list[Row],
    start: dt.date,
    end: dt.date,
    days: list[dt.date],
    step_days: int,
    horizon_days: int,
    truncated: int,
    cards: dict[str, scoring.Scorecard],
    resamples: int,
) -> BacktestReport:
    scored = [row for row in rows if row.overall is not None]
    risks = [100.0 - (row.overall or 0.0) for row in scored]
    labels = [row.churned for row in scored]
    clusters = [row.account_id for row in scored]
    auc = validation.roc_auc(risks, labels)
    interval = validation.bootstrap_auc(risks, labels, clusters, resamples=resamples) if auc is not None else None
    bands = validation.band_rates([row.band for row in rows], [row.churned for row in rows], BAND_ORDER)
    fits = [_fit(name, card, [row for row in scored if row.scorecard == name]) for name, card in sorted(cards.items())]
    return BacktestReport(
        start=start,
        end=end,
        step_days=step_days,
        horizon_days=horizon_days,
        snapshots=days,
        rows=rows,
        truncated_snapshots=truncated,
        auc=auc,
        interval=interval,
        bands=bands,
        lift=validation.lift(bands),
        churned_accounts=len({row.account_id for row in rows if row.churned}),
        fits=fits,
    )


MIN_CHURNED_TO_FIT = 10


def _fit(name: str, card: scoring.Scorecard, rows: list[Row]) -> ScorecardFit:
    kinds = card.kinds()
    labels_by_kind = {m.kind: m.label for m in card.measures}
    current = nominal_weights(card)
    churned = sum(row.churned for row in rows)
    auc = validation.roc_auc([100.0 - (row.overall or 0.0) for row in rows], [row.churned for row in rows])
    fitted = None
    note = ""
    if churned >= MIN_CHURNED_TO_FIT and len(rows) - churned >= MIN_CHURNED_TO_FIT:
        fitted = validation.fit_weights(
            [[row.scores.get(kind) for kind in kinds] for row in rows],
            [row.churned for row in rows],
            [row.account_id for row in rows],
            kinds,
        )
    else:
        note = f"too few churned snapshots to fit weights (at least {MIN_CHURNED_TO_FIT} needed)"
    measures = tuple(
        MeasureWeights(
            kind=kind,
            label=labels_by_kind[kind],
            current=current.get(kind, 0.0),
            suggested=fitted.weights[kind] if fitted else None,
            coefficient=fitted.coefficients[kind] if fitted else None,
        )
        for kind in kinds
    )
    return ScorecardFit(
        name=name,
        rows=len(rows),
        churned_rows=churned,
        auc=auc,
        cv_auc=fitted.cv_auc if fitted else None,
        measures=measures,
        note=note,
    )


def as_dict(report: BacktestReport) -> dict[str, Any]:
    """The report's figures, JSON-ready (for the UI)."""
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "snapshots": [day.isoformat() for day in report.snapshots],
        "rows": len(report.rows),
        "churned_rows": report.churned_rows,
        "churned_accounts": report.churned_accounts,
        "auc": report.auc,
        "auc_low": report.interval.low if report.interval else None,
        "auc_high": report.interval.high if report.interval else None,
        "bands": [{"band": b.band, "accounts": b.accounts, "churned": b.churned, "rate": b.rate} for b in report.bands],
        "lift": report.lift,
        "refused": report.refused,
        "message": report.message,
        "fits": [
            {
                "name": fit.name,
                "auc": fit.auc,
                "cv_auc": fit.cv_auc,
                "measures": [m.__dict__.copy() for m in fit.measures],
            }
            for fit in report.fits
        ],
    }
