"""Training the churn-risk model on a workspace's own history and scoring its accounts.

`churn_model_train` takes monthly snapshots (the first of each month whose outcome is known, i.e. at
least `horizon_days` before today; the latest MAX_SNAPSHOTS of them), builds each paying account's
features and label, and splits them by time: the earlier snapshots train (cross-validated model
choice, sigmoid calibration), the latest quarter's are held out and give the ROC-AUC and the
calibration table a reader can trust, because the model never saw that period. The model is then
refitted on every snapshot and scores today's paying accounts: a calibrated probability and its top
reasons, one ChurnRisk per account and day. Too short a history (or no churn in it) gives a refused
run saying why.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict

from django.db import transaction
from django.utils import timezone

from retain.accounts.selectors import rate_table, workspace_today
from retain.metrics import churn
from retain.metrics.cohorts import add_months, ledgers
from retain.risk import features
from retain.risk.choices import RunStatus
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
    """Train on the workspace's snapshots, evaluate on the held-out latest ones, refit, score today."""
    today = today or workspace_today(workspace)
    table = rate_table(workspace)
    books = ledgers(workspace)
    starts = [start for ledger in books.values() if (start := ledger.started_on) is not None]
    days = snapshot_days(min(starts), today, horizon_days)[-MAX_SNAPSHOTS:] if starts else []
    window: dict[str, object] = {"horizon_days": horizon_days, "snapshots": len(days)}
    if len(days) < MIN_SNAPSHOTS:
        history = f"history from {min(starts).isoformat()}" if starts else "no subscription history"
        return _refuse(
            workspace,
            f"{len(days)} monthly snapshot(s) have a known outcome ({history}, horizon {horizon_days} days); "
            f"at least {MIN_SNAPSHOTS} are needed",
            window,
        )
    held = min(holdout_snapshots, max(1, len(days) // 4))
    train_days, holdout_days = days[:-held], days[-held:]
    window.update(first=days[0].isoformat(), holdout_from=holdout_days[0].isoformat(), last=days[-1].isoformat())
    rows_by_day = {
        day: features.snapshot_rows(workspace, books, day, table, horizon_days=horizon_days)[1] for day in days
    }
    train_rows = [row for day in train_days for row in rows_by_day[day]]
    holdout_rows = [row for day in holdout_days for row in rows_by_day[day]]
    churned = sum(1 for row in train_rows if row[-1] == features.POSITIVE)
    if churned < folds:
        return _refuse(
            workspace,
            f"{churned} account(s) churned within {horizon_days} days of a training snapshot (before "
            f"{holdout_days[0].isoformat()}); at least {folds} are needed to learn from",
            window,
        )
    options = {"target": features.TARGET, "positive": features.POSITIVE, "candidates": candidates, "folds": folds}
    try:
        first = churn.train(
            features.as_table(train_rows, labelled=True, source="training snapshots"),
            calibrate=True,
            seed=seed,
            **options,  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
        )
    except churn.ChurnDataError as error:
        return _refuse(workspace, str(error), window)
    if not holdout_rows:
        return _refuse(workspace, "no account was paying on the held-out snapshot days", window)
    held_out = churn.evaluate(
        first,
        features.as_table(holdout_rows, labelled=True, source="held-out snapshots"),
        target=features.TARGET,
        positive=features.POSITIVE,
    )
    try:
        final = churn.train(
            features.as_table(train_rows + holdout_rows, labelled=True, source="all snapshots"),
            calibrate=True,
            seed=seed,
            **options,  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types
        )
    except churn.ChurnDataError as error:  # pragma: no cover - more rows than a training that succeeded
        return _refuse(workspace, str(error), window)
    ids, today_rows = features.snapshot_rows(workspace, books, today, table, horizon_days=None)
    with transaction.atomic():
        run = ChurnModelRun.objects.create(
            workspace=workspace,
            trained_at=timezone.now(),
            status=RunStatus.SUCCEEDED,
            window=window,
            model=final.model,
            rows=final.rows,
            positives=final.positives,
            cv_auc=_finite(first.auc),
            holdout_rows=held_out.rows,
            holdout_positives=held_out.positives,
            holdout_auc=held_out.auc,
            holdout_brier=held_out.brier,
            calibration=[asdict(b) for b in held_out.calibration],
            features=[f.name for f in final.features],
            scored=len(ids),
        )
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
    return run


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
