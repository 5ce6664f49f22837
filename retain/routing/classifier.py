"""The question classifier: trains on any labelled text and says, for a new question, its label and
how sure it is — or that it is unsure, and the question belongs in triage.

Pure: no Django, no database. Texts and labels in, a `Model` out; the model routes texts and is
scored against labelled rows.

How it works:

- features: TF-IDF of words (1–2-grams) and of characters inside words (2–5-grams, so typos and word
  forms still match), fitted on the training texts (no labels involved);
- classifier: a linear support-vector machine (one-vs-rest). Its scores become probabilities by
  a softmax with a temperature fitted on out-of-fold scores (temperature scaling: the probabilities
  mean what they say on questions the model has not seen);
- unsure → triage: a question whose top probability is below the model's threshold, or whose
  predicted label is the unknown label, goes to triage instead of to a guess. The threshold is
  calibrated on the same out-of-fold predictions: it is the confidence that maximises
  (questions routed right − questions routed wrong) there, so a question is routed only where a
  guess at that confidence is more often right than wrong; rows labelled unknown count as wrong
  whenever they are routed;
- cross-validation: stratified k-fold (5, or fewer when a label has fewer rows), printed by the
  command line and kept on the model.

Rows labelled with the unknown label in training are learnt as a class of their own ("not one of
ours"), so questions like them are predicted unknown and go to triage.

Saving: `save` writes the model with joblib (a pickle). `load` reads only files this program wrote
(the default model under var/, workspace models, a file given to the command line by its operator):
unpickling runs code, so never load a model file from someone you do not trust.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# SciPy and scikit-learn are imported where a model is trained or used, not here: the routing pages
# and webhooks import this module at start-up, and those two cost every process that starts (web,
# worker, CLI) seconds of CPU that most of them never need.
if TYPE_CHECKING:
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

MODEL_NAME = "tfidf-svm"
FORMAT = 1
DEFAULT_FOLDS = 5
TRIAGE = ""  # the label of a question sent to triage
_C = 0.5


class LabelledDataError(ValueError):
    """A table that cannot be trained on or scored (missing file or column, too few rows)."""


@dataclass(frozen=True)
class Prediction:
    label: str  # TRIAGE when unsure or predicted unknown
    confidence: float  # the top class's probability
    best: str  # the most likely label, even when the question goes to triage

    @property
    def triaged(self) -> bool:
        return self.label == TRIAGE


@dataclass
class Model:
    features: FeatureUnion
    classifier: LinearSVC
    temperature: float
    threshold: float
    unknown: str | None
    rows: int
    labels: list[str]
    cv_accuracy: float | None = None
    trained_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    name: str = MODEL_NAME

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import softmax

        scores = self.classifier.decision_function(self.features.transform(list(texts)))
        return self.classifier.classes_, softmax(_as_matrix(scores) * self.temperature, axis=1)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        classes, probs = self.probabilities(texts)
        out = []
        for row in probs:
            best = int(row.argmax())
            label, confidence = str(classes[best]), float(row[best])
            routed = confidence >= self.threshold and label != self.unknown
            out.append(Prediction(label=label if routed else TRIAGE, confidence=confidence, best=label))
        return out

    def predict_one(self, text: str) -> Prediction:
        return self.predict([text])[0]


@dataclass(frozen=True)
class Fold:
    number: int
    rows: int
    accuracy: float


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    unknown_recall: float | None
    triage_rate: float
    rows: int
    model: str = MODEL_NAME

    def summary(self) -> str:
        unknown = "n/a" if self.unknown_recall is None else f"{self.unknown_recall:.4f}"
        return (
            f"accuracy={self.accuracy:.4f} macro_f1={self.macro_f1:.4f} unknown_recall={unknown} "
            f"triage_rate={self.triage_rate:.4f} n={self.rows} model={self.model}"
        )


@dataclass
class TrainingResult:
    model: Model
    folds: list[Fold]
    cv: Scores  # the out-of-fold predictions scored at the calibrated threshold


# Reading labelled tables ---------------------------------------------------------------------------


def read_labelled(path: Path, *, text: str, label: str | None) -> tuple[list[dict[str, str]], list[str], list[str]]:
    """The rows of a CSV, their texts and (when `label` is given) their labels; a clear error otherwise."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            for column, option in ((text, "--text"), (label, "--label")):
                if column is not None and column not in header:
                    raise LabelledDataError(f"{option}: {path} has no column {column!r} (columns: {', '.join(header)})")
            rows = list(reader)
    except FileNotFoundError:
        raise LabelledDataError(f"--csv: no file {path}") from None
    except UnicodeDecodeError:
        raise LabelledDataError(f"--csv: {path} is not UTF-8 text") from None
    except csv.Error as error:
        raise LabelledDataError(f"--csv: {path}: {error}") from None
    if not rows:
        raise LabelledDataError(f"--csv: {path} has no rows")
    texts = [(row.get(text) or "").strip() for row in rows]
    labels = [(row.get(label) or "").strip() for row in rows] if label is not None else []
    for number, (row_text, row_label) in enumerate(zip(texts, labels or [""] * len(texts), strict=True), start=2):
        if not row_text:
            raise LabelledDataError(f"{path}:{number}: column {text!r} is empty")
        if label is not None and not row_label:
            raise LabelledDataError(f"{path}:{number}: column {label!r} is empty")
    return rows, texts, labels


# Training ------------------------------------------------------------------------------------------


def _features() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ]
    )


def _as_matrix(scores: np.ndarray) -> np.ndarray:
    """LinearSVC gives one column for two classes; make it two (−s, s) so softmax applies."""
    if scores.ndim == 1:
        return np.column_stack([-scores, scores]) / 2
    return scores


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of the true classes."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    def loss(log_t: float) -> float:
        logp = log_softmax(scores * math.exp(log_t), axis=1)
        return float(-logp[np.arange(len(truth)), truth].mean())

    found = minimize_scalar(loss, bounds=(math.log(0.05), math.log(200.0)), method="bounded")
    return float(math.exp(found.x))


def _calibrate_threshold(confidence: np.ndarray, right: np.ndarray) -> float:
    """The threshold maximising (right − wrong) among routed out-of-fold predictions."""
    order = np.argsort(-confidence)
    gain = np.cumsum(np.where(right[order], 1, -1))
    best = int(gain.argmax())
    if gain[best] <= 0:
        return 1.0
    # route everything down to and including the best cut: the threshold sits at its confidence
    return float(confidence[order][best])


def _check_labels(labels: Sequence[str], unknown: str | None) -> Counter[str]:
    counts = Counter(labels)
    known = [name for name in counts if name != unknown]
    if len(known) < 2:
        raise LabelledDataError(f"--label: need at least two labels to tell apart, found {sorted(known)}")
    few = sorted(name for name, count in counts.items() if count < 2)
    if few:
        raise LabelledDataError(f"--label: each label needs at least 2 rows; {', '.join(map(repr, few))} has 1")
    return counts


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    unknown: str | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    on_fold: Callable[[Fold], None] | None = None,
) -> TrainingResult:
    """Cross-validate, calibrate temperature and threshold on the out-of-fold scores, fit on all rows."""
    from scipy.special import softmax
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    if len(texts) != len(labels):
        raise LabelledDataError("texts and labels differ in length")
    counts = _check_labels(labels, unknown)
    y = np.asarray(labels)
    features = _features()
    matrix = features.fit_transform(list(texts))
    splits = max(2, min(folds, min(counts.values())))
    classes = np.array(sorted(counts))
    truth = np.searchsorted(classes, y)
    oof = np.zeros((len(y), len(classes)))
    fold_list: list[Fold] = []
    for number, (fit_rows, test_rows) in enumerate(
        StratifiedKFold(splits, shuffle=True, random_state=seed).split(matrix, y), start=1
    ):
        clf = LinearSVC(C=_C).fit(matrix[fit_rows], y[fit_rows])
        scores = _as_matrix(clf.decision_function(matrix[test_rows]))
        columns = np.searchsorted(classes, clf.classes_)
        oof[np.ix_(test_rows, columns)] = scores
        missing = np.setdiff1d(np.arange(len(classes)), columns)
        if missing.size:  # a class absent from this fold's training rows can never win
            oof[np.ix_(test_rows, missing)] = -1e3
        fold = Fold(number, len(test_rows), float(np.mean(clf.classes_[scores.argmax(1)] == y[test_rows])))
        fold_list.append(fold)
        if on_fold is not None:
            on_fold(fold)
    temperature = _fit_temperature(oof, truth)
    probs = softmax(oof * temperature, axis=1)
    predicted = classes[probs.argmax(1)]
    confidence = probs.max(1)
    right = (predicted == y) & (y != unknown) if unknown is not None else predicted == y
    if unknown is not None:
        # a row predicted unknown goes to triage whatever its confidence: the cut is over the others
        routable = predicted != unknown
        threshold = _calibrate_threshold(confidence[routable], right[routable]) if routable.any() else 0.0
    else:
        threshold = _calibrate_threshold(confidence, right)
    classifier = LinearSVC(C=_C).fit(matrix, y)
    model = Model(
        features=features,
        classifier=classifier,
        temperature=temperature,
        threshold=threshold,
        unknown=unknown,
        rows=len(y),
        labels=[str(name) for name in classes if name != unknown],
    )
    routed = [
        str(label) if conf >= threshold and label != unknown else TRIAGE
        for label, conf in zip(predicted, confidence, strict=True)
    ]
    cv = score(list(labels), routed, unknown=unknown)
    model.cv_accuracy = cv.accuracy
    return TrainingResult(model=model, folds=fold_list, cv=cv)


# Scoring -------------------------------------------------------------------------------------------


def score(
    truth: Sequence[str], routed: Sequence[str], *, unknown: str | None = None, model: str = MODEL_NAME
) -> Scores:
    """accuracy: known rows routed to exactly their label (triage is wrong); unknown_recall: unknown
    rows sent to triage; triage_rate: all rows sent to triage; macro_f1 over the known labels."""
    from sklearn.metrics import f1_score

    if len(truth) != len(routed):
        raise ValueError("truth and routed differ in length")
    if not truth:
        raise LabelledDataError("no rows to score")
    known = [i for i, label in enumerate(truth) if label != unknown]
    unknown_rows = [i for i, label in enumerate(truth) if unknown is not None and label == unknown]
    accuracy = sum(routed[i] == truth[i] for i in known) / len(known) if known else 0.0
    known_labels = sorted({truth[i] for i in known})
    macro = (
        float(f1_score(list(truth), list(routed), labels=known_labels, average="macro", zero_division=0))
        if known_labels
        else 0.0
    )
    recall = sum(routed[i] == TRIAGE for i in unknown_rows) / len(unknown_rows) if unknown_rows else None
    triage = sum(label == TRIAGE for label in routed) / len(routed)
    return Scores(accuracy, macro, recall, triage, len(truth), model)


def evaluate(model: Model, texts: Sequence[str], labels: Sequence[str], *, unknown: str | None = None) -> Scores:
    """Score a model on held-out rows. `unknown` defaults to the model's own unknown label."""
    unknown = unknown if unknown is not None else model.unknown
    routed = [prediction.label for prediction in model.predict(texts)]
    return score(labels, routed, unknown=unknown, model=model.name)


# Saving --------------------------------------------------------------------------------------------


def save(model: Model, path: Path) -> None:
    """Write the model atomically (a temporary file renamed into place)."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    joblib.dump({"format": FORMAT, "model": model}, partial, compress=3)
    partial.replace(path)


def load(path: Path) -> Model:
    """Read a model this program saved. Unpickling runs code: only load your own files."""
    import joblib

    try:
        data: Any = joblib.load(path)
    except FileNotFoundError:
        raise LabelledDataError(f"--model: no file {path}") from None
    except Exception as error:  # a truncated or foreign file
        raise LabelledDataError(f"--model: {path} is not a routing model ({error.__class__.__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("model"), Model):
        raise LabelledDataError(f"--model: {path} is not a routing model of format {FORMAT}")
    return data["model"]
