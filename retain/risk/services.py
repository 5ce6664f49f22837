"""Training the churn-risk model on a workspace's own history and scoring its accounts.

`churn_model_train` takes monthly snapshots (the first of each month whose outcome is known, i.e. at
least `horizon_days` before today; the latest MAX_SNAPSHOTS of them), builds each paying account's
features and label, and splits them by time: the earlier snapshots train (cross-validated model
choice, sigmoid calibration), the latest quarter's are held out and give the ROC-AUC and the
calibration table a reader can trust, because the model never saw that period. The model is then
refitted on every snapshot and scores today's paying accounts: a calibrated probability and its top
reasons, one ChurnRisk per account and day. Too short a history (or no churn in it) gives a refused
run saying why. Between evaluation and refit sits the quality gate (`retain.risk.gate`): a model with
fewer than MIN_CHURNED_ACCOUNTS churned accounts in its snapshots, or a held-out ROC-AUC below
MIN_HOLDOUT_AUC, is stored as a "gated" run with its evaluation and the reasons, and scores nobody.

The steps, each its own function: `_known_days` and `_gather` (the labelled rows per snapshot day,
split by time), `_fit`, `_evaluate`, `quality_gate`, `_store` and `_score`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from retain.accounts import ledger
from retain.accounts.ledger import AccountLedger
from retain.accounts.selectors import rate_table, workspace_today
from retain.lib.dates import add_months
from retain.lib.money import RateTable
from retain.metrics import churn
from retain.risk import features
from retain.risk.choices import RunStatus
from retain.risk.gate import quality_gate
from retain.risk.models import ChurnModelRun, ChurnRisk
from retain.tenancy.models import Workspace

HORIZON_DAYS = 90  # seed 002: the renewal process starts 90 days out
# The latest quarter of snapshots is held out (a quarter of them at most, when the history is short).
HOLDOUT_SNAPSHOTS = 3
MIN_SNAPSHOTS = 4
# Two years of monthly snapshots: older behaviour says little about today's product and customers.
MAX_SNAPSHOTS = 24
FAST_CANDIDATES = ("logistic_regression", "gradient_boosting")


def snapshot_days(first: dt.date, today: dt.date, horizon_days: int) -> list[dt.date]:
    """The first of every month after `first` whose horizon has passed by `today`."""
    last = today - dt.timedelta(days=horizon_days)
    day = add_months(dt.date(first.year, first.month, 1), 1)
    days = []
    while day <= last:
        days.append(day)
        day = add_months(day, 1)
    return days


def _refuse(workspace: Workspace, message: str, window: dict[str, object]) -> ChurnModelRun:
    return ChurnModelRun.objects.create(
        workspace=workspace, trained_at=timezone.now(), status=RunStatus.REFUSED, message=message, window=window
    )


class _Refused(Exception):
    """A step found the history unusable; the message says why, in the reader's words."""


@dataclass
class _Snapshots:
    """The labelled rows of every snapshot day, split by time into training and held-out days."""

    days: list[dt.date]
    train_days: list[dt.date]
    holdout_days: list[dt.date]
    rows_by_day: dict[dt.date, tuple[list[int], list[list[str]]]]  # day → (account ids, rows)
    window: dict[str, object]

    def rows(self, days: Sequence[dt.date]) -> list[list[str]]:
        return [row for day in days for row in self.rows_by_day[day][1]]

    @property
    def churned_accounts(self) -> int:
        """Distinct accounts that stopped paying within the horizon of some snapshot, held-out ones included."""
        return len(
            {
                pk
                for ids, rows in self.rows_by_day.values()
                for pk, row in zip(ids, rows, strict=True)
                if row[-1] == features.POSITIVE
            }
        )


def _known_days(books: Mapping[int, AccountLedger], today: dt.date, horizon_days: int) -> tuple[list[dt.date], str]:
    """The monthly snapshot days whose outcome is known (the latest MAX_SNAPSHOTS), and the history's start."""
    starts = [start for book in books.values() if (start := book.started_on) is not None]
    days = snapshot_days(min(starts), today, horizon_days)[-MAX_SNAPSHOTS:] if starts else []
    return days, f"history from {min(starts).isoformat()}" if starts else "no subscription history"


def _gather(
    workspace: Workspace,
    books: Mapping[int, AccountLedger],
    table: RateTable,
    days: list[dt.date],
    window: dict[str, object],
    *,
    horizon_days: int,
    holdout_snapshots: int,
) -> _Snapshots:
    """Split the days by time (the latest quarter held out, a quarter of them at most) and build every
    paying account's labelled row on each."""
    held = min(holdout_snapshots, max(1, len(days) // 4))
    train_days, holdout_days = days[:-held], days[-held:]
    window.update(first=days[0].isoformat(), holdout_from=holdout_days[0].isoformat(), last=days[-1].isoformat())
    rows_by_day = {day: features.snapshot_rows(workspace, books, day, table, horizon_days=horizon_days) for day in days}
    return _Snapshots(days, train_days, holdout_days, rows_by_day, window)


def _fit(rows: list[list[str]], source: str, options: dict[str, Any]) -> churn.TrainingResult:
    """Choose a model by cross-validation on `rows` and fit it, calibrated."""
    try:
        return churn.train(features.as_table(rows, labelled=True, source=source), calibrate=True, **options)
    except churn.ChurnDataError as error:
        raise _Refused(str(error)) from None


def _evaluate(model: churn.TrainingResult, rows: list[list[str]]) -> churn.Evaluation:
    """The model on the held-out snapshots, which it never saw."""
    if not rows:
        raise _Refused("no account was paying on the held-out snapshot days")
    held_out = features.as_table(rows, labelled=True, source="held-out snapshots")
    return churn.evaluate(model, held_out, target=features.TARGET, positive=features.POSITIVE)


def _store(
    workspace: Workspace,
    snapshots: _Snapshots,
    first: churn.TrainingResult,
    held_out: churn.Evaluation,
    *,
    status: str,
    message: str = "",
    final: churn.TrainingResult | None = None,
) -> ChurnModelRun:
    """The run with its evaluation: the refitted `final` model's when there is one, else the training's."""
    kept = final or first
    rows = len(snapshots.rows(snapshots.days))
    positives = sum(1 for row in snapshots.rows(snapshots.days) if row[-1] == features.POSITIVE)
    return ChurnModelRun.objects.create(
        workspace=workspace,
        trained_at=timezone.now(),
        status=status,
        message=message,
        window=snapshots.window,
        model=kept.model,
        rows=final.rows if final is not None else rows,
        positives=final.positives if final is not None else positives,
        churned_accounts=snapshots.churned_accounts,
        cv_auc=_finite(first.auc),
        holdout_rows=held_out.rows,
        holdout_positives=held_out.positives,
        holdout_auc=held_out.auc,
        holdout_brier=held_out.brier,
        calibration=[asdict(b) for b in held_out.calibration],
        features=[f.name for f in kept.features],
    )


def _score(
    workspace: Workspace,
    run: ChurnModelRun,
    final: churn.TrainingResult,
    books: Mapping[int, AccountLedger],
    table: RateTable,
    today: dt.date,
) -> None:
    """Today's paying accounts: a calibrated probability and its top reasons each, replacing today's scores."""
    ids, today_rows = features.snapshot_rows(workspace, books, today, table, horizon_days=None)
    ChurnRisk.objects.filter(workspace=workspace, day=today).delete()
    if ids:
        scoring = features.as_table(today_rows, labelled=False, source="today")
        probabilities = churn.predict(final, scoring)
        reasons = churn.top_reasons(final, scoring)
        ChurnRisk.objects.bulk_create(
            ChurnRisk(
                workspace=workspace,
                account_id=pk,
                day=today,
                probability=min(1.0, max(0.0, float(p))),
                reasons=[asdict(r) for r in found],
                run=run,
            )
            for pk, p, found in zip(ids, probabilities, reasons, strict=True)
        )
    run.scored = len(ids)
    run.save(update_fields=["scored"])


def churn_model_train(
    *,
    workspace: Workspace,
    today: dt.date | None = None,
    horizon_days: int = HORIZON_DAYS,
    holdout_snapshots: int = HOLDOUT_SNAPSHOTS,
    candidates: Sequence[str] | None = FAST_CANDIDATES,
    folds: int = churn.DEFAULT_FOLDS,
    seed: int = 0,
) -> ChurnModelRun:
    """Gather the snapshots, split them by time, fit on the earlier ones, evaluate on the held-out ones,
    gate, then (past the gate) refit on all of them and score today's paying accounts."""
    today = today or workspace_today(workspace)
    table = rate_table(workspace)
    books = ledger.load(workspace)
    days, history = _known_days(books, today, horizon_days)
    window: dict[str, object] = {"horizon_days": horizon_days, "snapshots": len(days)}
    try:
        if len(days) < MIN_SNAPSHOTS:
            raise _Refused(
                f"{len(days)} monthly snapshot(s) have a known outcome ({history}, horizon {horizon_days} days); "
                f"at least {MIN_SNAPSHOTS} are needed"
            )
        snapshots = _gather(
            workspace, books, table, days, window, horizon_days=horizon_days, holdout_snapshots=holdout_snapshots
        )
        train_rows, holdout_rows = snapshots.rows(snapshots.train_days), snapshots.rows(snapshots.holdout_days)
        churned = sum(1 for row in train_rows if row[-1] == features.POSITIVE)
        if churned < folds:
            raise _Refused(
                f"{churned} account(s) churned within {horizon_days} days of a training snapshot (before "
                f"{snapshots.holdout_days[0].isoformat()}); at least {folds} are needed to learn from"
            )
        options: dict[str, Any] = {
            "target": features.TARGET,
            "positive": features.POSITIVE,
            "candidates": candidates,
            "folds": folds,
            "seed": seed,
        }
        first = _fit(train_rows, "training snapshots", options)
        held_out = _evaluate(first, holdout_rows)
    except _Refused as refusal:
        return _refuse(workspace, str(refusal), window)
    reasons = quality_gate(churned_accounts=snapshots.churned_accounts, holdout_auc=held_out.auc)
    if reasons:
        return _store(workspace, snapshots, first, held_out, status=RunStatus.GATED, message="; ".join(reasons))
    try:
        final = _fit(train_rows + holdout_rows, "all snapshots", options)
    except _Refused as refusal:  # pragma: no cover - more rows than a training that succeeded
        return _refuse(workspace, str(refusal), window)
    with transaction.atomic():
        run = _store(workspace, snapshots, first, held_out, status=RunStatus.SUCCEEDED, final=final)
        _score(workspace, run, final, books, table, today)
    return run


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
