"""`retain routing …`: the inbound-question classifier on any labelled table, and each workspace's router.

    retain routing train --csv FILE --text COLUMN --label COLUMN [--unknown LABEL] --save PATH
    retain routing evaluate --csv FILE --text COLUMN --label COLUMN [--unknown LABEL] --model PATH
    retain routing route --workspace SLUG --csv FILE --text COLUMN [--subject COLUMN] [--sender COLUMN]
    retain routing retrain --workspace SLUG
    retain routing train-default

`train` prints each cross-validation fold, calibrates the confidence threshold on the out-of-fold
predictions and saves the model; `evaluate` scores a saved model on a held-out file. Both end with

    accuracy=N macro_f1=N unknown_recall=N triage_rate=N n=N model=NAME

accuracy: rows with a known label routed to exactly that label (triage counts as wrong);
unknown_recall: rows labelled with the unknown label that went to triage; triage_rate: all rows that
went to triage. A table that cannot be used stops with one line naming the problem, exit status 1.

`route` writes the rows to standard output as CSV with desk, category, confidence and reason
added, decided by the workspace's rules and model (nothing is stored). `retrain` trains the
workspace's model on the starter questions and its corrected ones. `train-default` trains the
default model from the starter questions (otherwise done on first use) and scores it on the
held-out starter questions, by category and by desk.

A model file is a pickle (joblib): load only files you or this program wrote.
"""

from __future__ import annotations

import csv as csv_module
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from retain.routing import classifier, router
from retain.routing.categories import STARTER_HOLDOUT, desk_of


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

        route = sub.add_parser("route", help="route a CSV's questions with a workspace's rules and model")
        route.add_argument("--workspace", required=True, metavar="SLUG")
        route.add_argument("--csv", type=Path, required=True, metavar="FILE", help="a CSV file with a header row")
        route.add_argument("--text", required=True, metavar="COLUMN", help="the column holding the question")
        route.add_argument("--subject", metavar="COLUMN", help="a column holding a subject line")
        route.add_argument("--sender", metavar="COLUMN", help="a column holding the sender's e-mail address")
        retrain = sub.add_parser(
            "retrain", help="retrain a workspace's model on the starter and its corrected questions"
        )
        retrain.add_argument("--workspace", required=True, metavar="SLUG")
        sub.add_parser("train-default", help="train the default model from the starter questions and score it")

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

    def _workspace(self, slug: str) -> Any:
        from retain.tenancy.models import Workspace

        found = Workspace.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"--workspace: no workspace {slug!r}")
        return found

    def handle_route(
        self, *, workspace: str, csv: Path, text: str, subject: str | None, sender: str | None, **options: Any
    ) -> None:
        from retain.routing import rules as rules_module
        from retain.routing.services import decide, sender_match, workspace_router

        found = self._workspace(workspace)
        try:
            rows, texts, _labels = classifier.read_labelled(csv, text=text, label=None)
        except classifier.LabelledDataError as error:
            raise CommandError(str(error)) from None
        header = list(rows[0].keys())
        for column, option in ((subject, "--subject"), (sender, "--sender")):
            if column is not None and column not in header:
                raise CommandError(f"{option}: {csv} has no column {column!r}")
        rules, model = workspace_router(workspace=found)
        added = [name for name in ("desk", "category", "confidence", "reason") if name not in header]
        buffer = io.StringIO()
        writer = csv_module.DictWriter(buffer, fieldnames=header + added)
        writer.writeheader()
        for row, body in zip(rows, texts, strict=True):
            title = (row.get(subject) or "") if subject else ""
            email = (row.get(sender) or "").strip().lower() if sender else ""
            contact, account = sender_match(workspace=found, email=email) if email else (None, None)
            facts = rules_module.Facts(
                text=f"{title}\n{body}",
                sender_role=contact.role if contact else "",
                tier=account.tier if account else "",
                sender_domain=email.rsplit("@", 1)[1] if "@" in email else "",
            )
            decision = decide(rules=rules, model=model, subject=title, text=body, facts=facts)
            confidence = "" if decision.confidence is None else f"{decision.confidence:.4f}"
            writer.writerow(
                {
                    **row,
                    "desk": decision.desk,
                    "category": decision.category,
                    "confidence": confidence,
                    "reason": decision.reason,
                }
            )
        self.stdout.write(buffer.getvalue(), ending="")

    def handle_retrain(self, *, workspace: str, **options: Any) -> None:
        from retain.routing.services import routing_model_retrain

        found = self._workspace(workspace)
        setup, result = routing_model_retrain(workspace=found)
        self.stdout.write(
            f"{found.slug}: trained on {setup.model_rows} questions ({setup.model_corrections} corrected here); "
            f"threshold={result.model.threshold:.4f}; saved {setup.model_file}"
        )
        self.stdout.write("cross-validated: " + result.cv.summary())

    def handle_train_default(self, **options: Any) -> None:
        path, result = router.train_default()
        self.stdout.write(f"default model: {result.model.rows} starter questions; saved {path}")
        self.stdout.write("cross-validated: " + result.cv.summary())
        _rows, texts, labels = classifier.read_labelled(STARTER_HOLDOUT, text="text", label="category")
        predictions = result.model.predict(texts)
        desk_right = sum(desk_of(p.label) == desk_of(y) for p, y in zip(predictions, labels, strict=True))
        self.stdout.write(
            f"held-out starter questions: desk_accuracy={desk_right / len(labels):.4f} (triage counts as wrong)"
        )
        self.stdout.write(classifier.evaluate(result.model, texts, labels).summary())
