"""Training a churn model on any table (pure: csv, numpy and scikit-learn; no Django, no database).

The same pipeline serves a CSV someone exports from another system (`retain churn train --csv FILE`)
and, later, the features Retain builds from a workspace's own history. Steps:

1. Read the table as text. The target column and its positive value give the label (1 = churned);
   an id column, when named, is dropped, as is any text column whose every value is distinct (an
   identifier under another name: it cannot generalise) and any column that is blank throughout.
2. A column is numeric when every non-blank value parses as a finite number; blank strings are
   missing values, not a category and not zero. (Telco's TotalCharges is blank for customers in
   their first month: read naively, the column becomes text and its numbers are lost.)
3. Numerics: median imputation, standardisation. Categoricals: blanks become their own "(blank)"
   level, then one-hot encoding; levels unseen in training are ignored at prediction.
4. Each candidate model (logistic regression, histogram gradient boosting, random forest) is scored
   by stratified k-fold cross-validation (ROC-AUC, and accuracy at a 0.5 threshold); the one with the
   best mean AUC is kept and refitted on every row — optionally wrapped in a sigmoid calibration
   fitted on the same folds, so that "30%" means three in ten such accounts churn.
5. Afterwards: `evaluate` scores the kept model on held-out rows (a later period: ROC-AUC, accuracy,
   Brier score and a calibration table), `top_reasons` explains each row's probability by the
   features that raise it most above what a typical row would get.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

# scikit-learn is imported where a model is built, trained or scored, not here: this module is
# reached at start-up (pages and the QBR pack read the risk selectors), and importing scikit-learn
# costs every process that starts (web, worker, CLI) about 3 seconds of CPU it may never need.
if TYPE_CHECKING:
    from sklearn.base import ClassifierMixin
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline

NUMERIC = "numeric"
CATEGORICAL = "categorical"
BLANK_LEVEL = "(blank)"
DEFAULT_FOLDS = 5


class ChurnDataError(ValueError):
    """The table cannot be trained on; the message is one line naming the file, column or value."""


def _logistic_regression(seed: int) -> ClassifierMixin:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000)


def _gradient_boosting(seed: int) -> ClassifierMixin:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(learning_rate=0.05, max_iter=150, max_leaf_nodes=15, random_state=seed)


def _random_forest(seed: int) -> ClassifierMixin:
    from sklearn.ensemble import RandomForestClassifier

    # Small leaves overfit a churn table; 5+ rows per leaf keeps the probabilities usable.
    return RandomForestClassifier(n_estimators=150, min_samples_leaf=5, n_jobs=1, random_state=seed)


CANDIDATES: dict[str, Callable[[int], ClassifierMixin]] = {
    "logistic_regression": _logistic_regression,
    "gradient_boosting": _gradient_boosting,
    "random_forest": _random_forest,
}


@dataclass(frozen=True)
class Table:
    """A CSV read as text: the header and the rows, every row as long as the header."""

    columns: list[str]
    rows: list[list[str]]
    source: str = "table"

    def column(self, name: str) -> list[str]:
        try:
            index = self.columns.index(name)
        except ValueError:
            known = ", ".join(self.columns)
            raise ChurnDataError(f"{self.source}: no column {name!r} (columns: {known})") from None
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Feature:
    """One input column as the pipeline treats it."""

    name: str
    kind: str  # NUMERIC or CATEGORICAL
    blanks: int


@dataclass(frozen=True)
class CandidateScore:
    """A candidate model's cross-validated scores (mean and spread over the folds)."""

    name: str
    auc: float
    auc_std: float
    accuracy: float


@dataclass
class TrainingResult:
    """The kept model, refitted on every row, with the cross-validated scores that chose it."""

    model: str
    auc: float
    accuracy: float
    folds: int
    candidates: list[CandidateScore]
    features: list[Feature]
    dropped: dict[str, str]  # column → why it was left out
    rows: int
    positives: int
    pipeline: Pipeline | CalibratedClassifierCV = field(repr=False)
    typical: list[object] = field(default_factory=list, repr=False)  # per feature: median or most frequent
    calibrated: bool = False

    @property
    def positive_rate(self) -> float:
        return self.positives / self.rows

    def summary(self) -> str:
        """The last line of `retain churn train`."""
        return f"auc={self.auc:.4f} accuracy={self.accuracy:.4f} folds={self.folds} model={self.model}"


def read_table(path: str | Path) -> Table:
    """Read a CSV file (UTF-8, a header row) as text."""
    source = str(path)
    file = Path(path)
    if not file.is_file():
        raise ChurnDataError(f"{source}: no such file")
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ChurnDataError(f"{source}: the file is empty")
            columns = [name.strip() for name in header]
            rows = []
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(columns):
                    raise ChurnDataError(f"{source}:{number}: {len(row)} values for {len(columns)} columns")
                rows.append(row)
    except UnicodeDecodeError:
        raise ChurnDataError(f"{source}: not UTF-8 text") from None
    except csv.Error as error:
        raise ChurnDataError(f"{source}: not a readable CSV ({error})") from None
    if len(set(columns)) != len(columns):
        raise ChurnDataError(f"{source}: a column name appears twice in the header")
    return Table(columns=columns, rows=rows, source=source)


def _is_blank(value: str) -> bool:
    return not value.strip()


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def column_kind(values: Sequence[str]) -> str:
    """NUMERIC when every non-blank value parses as a finite number (and there is one), else CATEGORICAL."""
    present = [value for value in values if not _is_blank(value)]
    if present and all(_number(value) is not None for value in present):
        return NUMERIC
    return CATEGORICAL


def labels(table: Table, target: str, positive: str) -> np.ndarray:
    """1 where the target column equals `positive` (surrounding spaces ignored), else 0."""
    values = table.column(target)
    wanted = positive.strip()
    seen = {value.strip() for value in values}
    if wanted not in seen:
        shown = ", ".join(repr(value) for value in sorted(seen)[:10])
        raise ChurnDataError(f"{table.source}: no row has {target} = {positive!r} (values: {shown})")
    if len(seen) < 2:
        raise ChurnDataError(f"{table.source}: {target} has one value only ({positive!r}); a model needs both classes")
    return np.array([1 if value.strip() == wanted else 0 for value in values], dtype=int)


def positive_rates(table: Table, target: str, positive: str, by: str) -> dict[str, tuple[int, float]]:
    """For each value of column `by`: (rows, share of them with target = positive)."""
    y = labels(table, target, positive)
    groups: dict[str, list[int]] = {}
    for value, label in zip(table.column(by), y, strict=True):
        groups.setdefault(value.strip(), []).append(int(label))
    return {value: (len(found), sum(found) / len(found)) for value, found in sorted(groups.items())}


def features_of(table: Table, *, target: str, id_column: str | None = None) -> tuple[list[Feature], dict[str, str]]:
    """The columns to learn from, each numeric or categorical, and those left out with the reason."""
    table.column(target)  # refuses a missing target by name
    if id_column is not None:
        table.column(id_column)
        if id_column == target:
            raise ChurnDataError(f"the id column and the target are both {target!r}")
    dropped: dict[str, str] = {}
    features: list[Feature] = []
    for name in table.columns:
        if name == target:
            continue
        if name == id_column:
            dropped[name] = "the id column"
            continue
        values = table.column(name)
        blanks = sum(1 for value in values if _is_blank(value))
        if blanks == len(values):
            dropped[name] = "blank in every row"
            continue
        kind = column_kind(values)
        if kind == CATEGORICAL and len({value.strip() for value in values}) == len(values) > 20:
            dropped[name] = "a different text in every row (an identifier)"
            continue
        features.append(Feature(name=name, kind=kind, blanks=blanks))
    if not features:
        raise ChurnDataError(f"{table.source}: no column is left to learn from besides {target}")
    return features, dropped


def feature_matrix(table: Table, features: Sequence[Feature]) -> np.ndarray:
    """An object array, one column per feature: floats (NaN when blank, or when a row scored later holds
    text in a numeric column) or stripped strings."""
    matrix = np.empty((len(table.rows), len(features)), dtype=object)
    for j, feature in enumerate(features):
        values = table.column(feature.name)
        if feature.kind == NUMERIC:
            numbers = (_number(v) for v in values)
            matrix[:, j] = [math.nan if number is None else number for number in numbers]
        else:
            matrix[:, j] = [BLANK_LEVEL if _is_blank(v) else v.strip() for v in values]
    return matrix


def build_pipeline(features: Sequence[Feature], model: ClassifierMixin) -> Pipeline:
    """Preprocessing (impute, scale, one-hot) followed by `model`, taking feature_matrix()'s columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [j for j, feature in enumerate(features) if feature.kind == NUMERIC]
    categorical = [j for j, feature in enumerate(features) if feature.kind == CATEGORICAL]
    parts = []
    if numeric:
        numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        parts.append(("numeric", numbers, numeric))
    if categorical:
        encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float64)
        parts.append(("categorical", encode, categorical))
    return Pipeline([("prepare", ColumnTransformer(parts)), ("model", model)])


def train(
    table: Table,
    *,
    target: str,
    positive: str,
    id_column: str | None = None,
    candidates: Sequence[str] | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    on_candidate: Callable[[CandidateScore], None] | None = None,
    calibrate: bool = False,
) -> TrainingResult:
    """Compare the candidates by stratified `folds`-fold cross-validated ROC-AUC, keep the best, refit it
    (with `calibrate`, inside a sigmoid calibration fitted on the same folds)."""
    names = list(candidates or CANDIDATES)
    unknown = [name for name in names if name not in CANDIDATES]
    if unknown:
        raise ChurnDataError(f"unknown model {unknown[0]!r} (known: {', '.join(CANDIDATES)})")
    features, dropped = features_of(table, target=target, id_column=id_column)
    y = labels(table, target, positive)
    smaller = int(min(y.sum(), len(y) - y.sum()))
    if smaller < folds:
        raise ChurnDataError(
            f"{table.source}: {smaller} row(s) in the smaller class of {target}; {folds}-fold validation needs {folds}"
        )
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    x = feature_matrix(table, features)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    # One thread: on a busy host, gradient boosting's OpenMP threads fighting other processes made a
    # 3-second cross-validation take a minute; a churn table is small enough that one core is plenty.
    with threadpool_limits(limits=1):
        return _train(features, dropped, x, y, names, splitter, folds, seed, on_candidate, calibrate)


def _train(
    features: list[Feature],
    dropped: dict[str, str],
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    splitter: StratifiedKFold,
    folds: int,
    seed: int,
    on_candidate: Callable[[CandidateScore], None] | None,
    calibrate: bool,
) -> TrainingResult:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import cross_validate

    scores: list[CandidateScore] = []
    for name in names:
        pipeline = build_pipeline(features, CANDIDATES[name](seed))
        with warnings.catch_warnings():
            # Rare one-hot levels missing from a training fold are expected and harmless.
            warnings.simplefilter("ignore", UserWarning)
            found = cross_validate(pipeline, x, y, cv=splitter, scoring=("roc_auc", "accuracy"), n_jobs=1)
        score = CandidateScore(
            name=name,
            auc=float(np.mean(found["test_roc_auc"])),
            auc_std=float(np.std(found["test_roc_auc"])),
            accuracy=float(np.mean(found["test_accuracy"])),
        )
        scores.append(score)
        if on_candidate is not None:
            on_candidate(score)
    best = max(scores, key=lambda score: score.auc)
    kept: Pipeline | CalibratedClassifierCV = build_pipeline(features, CANDIDATES[best.name](seed))
    if calibrate:
        kept = CalibratedClassifierCV(kept, method="sigmoid", cv=splitter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kept.fit(x, y)
    return TrainingResult(
        model=best.name,
        auc=best.auc,
        accuracy=best.accuracy,
        folds=folds,
        candidates=scores,
        features=features,
        dropped=dropped,
        rows=len(y),
        positives=int(y.sum()),
        pipeline=kept,
        typical=[_typical(x[:, j], feature.kind) for j, feature in enumerate(features)],
        calibrated=calibrate,
    )


def _typical(values: np.ndarray, kind: str) -> object:
    if kind == NUMERIC:
        numbers = np.asarray(values, dtype=float)
        return float(np.nanmedian(numbers)) if not np.isnan(numbers).all() else math.nan
    levels, counts = np.unique(np.asarray(values, dtype=str), return_counts=True)
    return str(levels[int(np.argmax(counts))])


def train_csv(path: str | Path, **options: object) -> TrainingResult:
    """read_table(path), then train(...) with the same keyword options."""
    return train(read_table(path), **options)  # type: ignore[arg-type]  # the keyword arguments are a dict of mixed value types


def predict(result: TrainingResult, table: Table) -> np.ndarray:
    """The kept model's probability of the positive class for each row of `table` (same columns)."""
    return np.asarray(result.pipeline.predict_proba(feature_matrix(table, result.features))[:, 1])


def describe_features(features: Sequence[Feature]) -> Mapping[str, list[str]]:
    """Feature names by kind, for the command's report."""
    return {kind: [f.name for f in features if f.kind == kind] for kind in (NUMERIC, CATEGORICAL)}


@dataclass(frozen=True)
class CalibrationBin:
    """Rows whose predicted probability fell in [lower, upper): how many, predicted vs observed."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class Evaluation:
    """The kept model on held-out rows. auc is None when the held-out rows hold one class only."""

    rows: int
    positives: int
    auc: float | None
    accuracy: float
    brier: float
    calibration: list[CalibrationBin]


def calibration_table(
    y_true: Sequence[int] | np.ndarray, probabilities: Sequence[float] | np.ndarray, bins: int = 10
) -> list[CalibrationBin]:
    """Equal-width probability bins (the last one includes 1.0); empty bins are left out.
    A calibrated model's observed rate is close to its mean prediction in every bin."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels for {len(p)} probabilities")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("probabilities must lie between 0 and 1")
    index = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            table.append(
                CalibrationBin(
                    lower=b / bins,
                    upper=(b + 1) / bins,
                    count=int(chosen.sum()),
                    mean_predicted=float(p[chosen].mean()),
                    observed_rate=float(y[chosen].mean()),
                )
            )
    return table


def evaluate(result: TrainingResult, table: Table, *, target: str, positive: str, bins: int = 10) -> Evaluation:
    """Score the kept model on rows it never saw (e.g. the accounts of a later period)."""
    from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score

    values = table.column(target)
    y = np.array([1 if value.strip() == positive.strip() else 0 for value in values], dtype=int)
    if not len(y):
        raise ChurnDataError(f"{table.source}: no rows to evaluate on")
    p = predict(result, table)
    return Evaluation(
        rows=len(y),
        positives=int(y.sum()),
        auc=float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None,
        accuracy=float(accuracy_score(y, p >= 0.5)),
        brier=float(brier_score_loss(y, p)),
        calibration=calibration_table(y, p, bins),
    )


@dataclass(frozen=True)
class Reason:
    """A feature's value that raises a row's probability: `effect` is how much higher (0–1 scale) the
    probability is than with that feature at its typical value (median or most frequent level)."""

    feature: str
    value: str
    effect: float


def top_reasons(result: TrainingResult, table: Table, *, limit: int = 3) -> list[list[Reason]]:
    """For each row, up to `limit` reasons, strongest first; only features that raise the probability.

    Model-agnostic: one prediction per feature over all rows, with that feature set to its typical
    value. It reads "had X been typical, the risk would be lower by Y points"."""
    x = feature_matrix(table, result.features)
    base = result.pipeline.predict_proba(x)[:, 1]
    effects = np.zeros((len(x), len(result.features)))
    for j, typical in enumerate(result.typical):
        neutral = x.copy()
        neutral[:, j] = typical
        effects[:, j] = base - result.pipeline.predict_proba(neutral)[:, 1]
    reasons = []
    for i in range(len(x)):
        order = np.argsort(-effects[i])[:limit]
        reasons.append(
            [
                Reason(feature=result.features[j].name, value=_shown(x[i, j]), effect=float(effects[i, j]))
                for j in order
                if effects[i, j] > 1e-9
            ]
        )
    return reasons


def _shown(value: object) -> str:
    if isinstance(value, float):
        return "(blank)" if math.isnan(value) else f"{value:g}"
    return str(value)
