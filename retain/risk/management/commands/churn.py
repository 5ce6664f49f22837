"""`retain churn …`: the churn model.

    retain churn train --csv FILE --target COLUMN --positive VALUE [--id COLUMN] [--model NAME …] [--seed N]
    retain churn train --workspace SLUG

With --workspace, trains the churn-risk model on that workspace's own history (monthly snapshots,
held-out latest months), scores today's accounts and prints the held-out ROC-AUC, as the weekly job does.

Trains on any table: compares the candidate models by stratified 5-fold cross-validation, prints each
one's ROC-AUC and accuracy, keeps the best and ends with the line
`auc=N accuracy=N folds=5 model=NAME`. A table that cannot be trained on (missing file or column,
one class only) stops with one line naming the problem and a non-zero exit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.metrics import churn


class Command(BaseCommand):
    help = "Churn model: train and cross-validate it on a table."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        train = sub.add_parser("train", help="compare candidate models on a CSV by cross-validation and keep the best")
        train.add_argument("--workspace", metavar="SLUG", help="train on this workspace's own history instead")
        train.add_argument("--csv", type=Path, metavar="FILE", help="a CSV file with a header row")
        train.add_argument("--target", metavar="COLUMN", help="the column saying who churned")
        train.add_argument("--positive", metavar="VALUE", help="the target's value for a churned row")
        train.add_argument("--id", dest="id_column", metavar="COLUMN", help="an identifier column, left out")
        train.add_argument(
            "--model",
            dest="models",
            action="append",
            choices=list(churn.CANDIDATES),
            help="a candidate to compare (repeatable; default: all)",
        )
        train.add_argument("--seed", type=int, default=0, help="the folds' shuffle and the models' seed (0)")

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        getattr(self, f"handle_{subcommand}")(**options)

    def handle_train(
        self,
        *,
        workspace: str | None,
        csv: Path | None,
        target: str | None,
        positive: str | None,
        id_column: str | None,
        models: list[str] | None,
        seed: int,
        **options: Any,
    ) -> None:
        if workspace is not None:
            self.train_workspace(workspace)
            return
        if csv is None or target is None or positive is None:
            raise CommandError("give --workspace SLUG, or --csv, --target and --positive")

        def report(score: churn.CandidateScore) -> None:
            self.stdout.write(f"  {score.name}: auc={score.auc:.4f} ±{score.auc_std:.4f} accuracy={score.accuracy:.4f}")

        try:
            table = churn.read_table(csv)
            kinds = churn.describe_features(churn.features_of(table, target=target, id_column=id_column)[0])
            churn.labels(table, target, positive)  # a bad target value stops here, before any training
            self.stdout.write(
                f"{csv}: {len(table.rows)} rows, {len(kinds[churn.NUMERIC])} numeric and "
                f"{len(kinds[churn.CATEGORICAL])} categorical column(s)"
            )
            self.stdout.write(f"cross-validating ({churn.DEFAULT_FOLDS} folds, stratified):")
            result = churn.train(
                table,
                target=target,
                positive=positive,
                id_column=id_column,
                candidates=models,
                seed=seed,
                on_candidate=report,
            )
        except churn.ChurnDataError as error:
            raise CommandError(str(error)) from None
        for name, why in result.dropped.items():
            self.stdout.write(f"left out {name}: {why}")
        self.stdout.write(
            f"{result.positives} of {result.rows} rows are {target} = {positive} ({result.positive_rate:.2%})"
        )
        self.stdout.write(result.summary())

    def train_workspace(self, slug: str) -> None:
        from retain.risk.choices import RunStatus
        from retain.risk.services import churn_model_train
        from retain.tenancy.models import Workspace

        found = Workspace.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"--workspace: no workspace {slug!r}")
        run = churn_model_train(workspace=found)
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"{slug}: {run.status}: {run.message}")
        auc = "n/a" if run.holdout_auc is None else f"{run.holdout_auc:.4f}"
        self.stdout.write(
            f"{slug}: {run.rows} account-months, {run.positives} churned; held-out auc={auc} "
            f"({run.holdout_rows} rows from {run.window.get('holdout_from')}); model={run.model}; scored {run.scored}"
        )
