"""`retain routing …`: the inbound-question classifier on any labelled table, and each workspace's router.

    retain routing train --csv FILE --text COLUMN --label COLUMN [--unknown LABEL] --save PATH
    retain routing evaluate --csv FILE --text COLUMN --label COLUMN [--unknown LABEL] --model PATH

`train` prints each cross-validation fold, calibrates the confidence threshold on the out-of-fold
predictions and saves the model; `evaluate` scores a saved model on a held-out file. Both end with

    accuracy=N macro_f1=N unknown_recall=N triage_rate=N n=N model=NAME

accuracy: rows with a known label routed to exactly that label (triage counts as wrong);
unknown_recall: rows labelled with the unknown label that went to triage; triage_rate: all rows that
went to triage. A table that cannot be used stops with one line naming the problem, exit status 1.

A model file is a pickle (joblib): load only files you or this program wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.routing import classifier


def _labelled(sub: Any, name: str, help_text: str) -> Any:
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("--csv", type=Path, required=True, metavar="FILE", help="a CSV file with a header row")
    parser.add_argument("--text", required=True, metavar="COLUMN", help="the column holding the question")
    parser.add_argument("--label", required=True, metavar="COLUMN", help="the column holding its label")
    parser.add_argument("--unknown", metavar="LABEL", help="the label meaning 'none of ours' (should go to triage)")
    return parser


class Command(BaseCommand):
    help = "Inbound routing: train and evaluate the question classifier; route questions for a workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        train = _labelled(sub, "train", "cross-validate, calibrate and save a model trained on a labelled CSV")
        train.add_argument("--save", type=Path, required=True, metavar="PATH", help="where to write the model")
        train.add_argument("--seed", type=int, default=0, help="the folds' shuffle (0)")
        evaluate = _labelled(sub, "evaluate", "score a saved model on a held-out labelled CSV")
        evaluate.add_argument("--model", type=Path, required=True, metavar="PATH", help="a model saved by train")

    def handle(self, *args: object, subcommand: str, **options: Any) -> None:
        getattr(self, "handle_" + subcommand.replace("-", "_"))(**options)

    def handle_train(
        self, *, csv: Path, text: str, label: str, unknown: str | None, save: Path, seed: int, **options: Any
    ) -> None:
        def report(fold: classifier.Fold) -> None:
            self.stdout.write(f"  fold {fold.number}: accuracy={fold.accuracy:.4f} n={fold.rows}")

        try:
            _rows, texts, labels = classifier.read_labelled(csv, text=text, label=label)
            kinds = len(set(labels) - {unknown})
            self.stdout.write(f"{csv}: {len(texts)} rows, {kinds} labels" + (f" and {unknown!r}" if unknown else ""))
            self.stdout.write("cross-validating (stratified folds):")
            result = classifier.train(texts, labels, unknown=unknown, seed=seed, on_fold=report)
            classifier.save(result.model, save)
        except classifier.LabelledDataError as error:
            raise CommandError(str(error)) from None
        model = result.model
        self.stdout.write(
            f"calibrated on out-of-fold predictions: temperature={model.temperature:.3f} "
            f"threshold={model.threshold:.4f}; saved {save}"
        )
        self.stdout.write("cross-validated: " + result.cv.summary())

    def handle_evaluate(
        self, *, csv: Path, text: str, label: str, unknown: str | None, model: Path, **options: Any
    ) -> None:
        try:
            loaded = classifier.load(model)
            _rows, texts, labels = classifier.read_labelled(csv, text=text, label=label)
            scores = classifier.evaluate(loaded, texts, labels, unknown=unknown)
        except classifier.LabelledDataError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{csv}: {scores.rows} rows; model {model} (threshold {loaded.threshold:.4f})")
        self.stdout.write(scores.summary())
