"""The classifier on BANKING77 (held-out accuracy, unknown intents to triage, speed) and on small tables."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from retain.routing import classifier
from retain.routing.tests.data import shared

UNKNOWN = "unknown"


def _banking(name: str) -> tuple[list[str], list[str]]:
    _rows, texts, labels = classifier.read_labelled(shared("routing", name), text="text", label="category")
    return texts, labels


@pytest.fixture(scope="module")
def banking() -> dict[str, tuple[list[str], list[str]]]:
    return {"train": _banking("banking77_train.csv"), "test": _banking("banking77_test.csv")}


# The trained model is built once: the module's tests share one xdist worker (--dist loadgroup).
pytestmark = [pytest.mark.xdist_group("test_classifier"), pytest.mark.engine_neutral]


@pytest.fixture(scope="module")
def trained(banking: dict[str, tuple[list[str], list[str]]]) -> tuple[classifier.TrainingResult, float]:
    texts, labels = banking["train"]
    # CPU time of this process: what the training costs, whatever else the machine is running.
    started = time.process_time()
    result = classifier.train(texts, labels)
    return result, time.process_time() - started


def test_banking77_held_out_accuracy(
    trained: tuple[classifier.TrainingResult, float], banking: dict[str, tuple[list[str], list[str]]]
) -> None:
    result, _seconds = trained
    texts, labels = banking["test"]
    scores = classifier.evaluate(result.model, texts, labels)
    print(scores.summary())
    assert scores.rows == 3080
    assert scores.accuracy >= 0.88  # triage counts as wrong
    assert scores.macro_f1 >= 0.88
    assert scores.unknown_recall is None
    assert scores.triage_rate < 0.08
    assert len(result.folds) == 5 and all(fold.accuracy > 0.85 for fold in result.folds)


def test_training_on_10000_questions_takes_under_a_minute(trained: tuple[classifier.TrainingResult, float]) -> None:
    result, seconds = trained
    assert result.model.rows == 10003
    assert seconds <= 60, f"training (with 5-fold cross-validation) took {seconds:.1f} s of CPU time"


def test_routing_one_message_takes_under_20_ms(
    trained: tuple[classifier.TrainingResult, float], banking: dict[str, tuple[list[str], list[str]]]
) -> None:
    """Rules and model together, as a question arriving is routed (services.decide reads no database)."""
    from retain.routing import rules, services

    model = trained[0].model
    parsed = rules.parse(rules.DEFAULT_RULES)
    texts = banking["test"][0][:60]
    services.decide(rules=parsed, model=model, subject="", text=texts[0])
    timings = []
    for text in texts:
        started = time.thread_time()  # CPU time: a loaded machine slows the clock, not the work
        services.decide(rules=parsed, model=model, subject="A question", text=text)
        timings.append(time.thread_time() - started)
    assert statistics.median(timings) <= 0.020


def test_saved_model_routes_the_same(trained: tuple[classifier.TrainingResult, float], tmp_path: Path) -> None:
    model = trained[0].model
    classifier.save(model, tmp_path / "m.joblib")
    again = classifier.load(tmp_path / "m.joblib")
    texts = ["I still have not received my new card", "what is the exchange rate"]
    assert [p.label for p in again.predict(texts)] == [p.label for p in model.predict(texts)]
    assert again.threshold == model.threshold


def test_whole_intents_held_out_as_unknown_go_to_triage(banking: dict[str, tuple[list[str], list[str]]]) -> None:
    """Twelve intents chosen at random are relabelled unknown in both files: questions of those kinds go
    to triage, the other 65 intents keep their accuracy."""
    rng = np.random.default_rng(17)
    names = sorted(set(banking["train"][1]))
    held = set(rng.choice(names, 12, replace=False).tolist())

    def relabel(labels: list[str]) -> list[str]:
        return [UNKNOWN if label in held else label for label in labels]

    texts, labels = banking["train"]
    result = classifier.train(texts, relabel(labels), unknown=UNKNOWN, folds=3)
    test_texts, test_labels = banking["test"]
    scores = classifier.evaluate(result.model, test_texts, relabel(test_labels))
    print(scores.summary())
    assert scores.unknown_recall is not None and scores.unknown_recall >= 0.70
    assert scores.accuracy >= 0.88


def test_score_counts_triage_as_wrong_and_unknown_in_triage_as_right() -> None:
    truth = ["a", "a", "b", "b", "x", "x"]
    routed = ["a", classifier.TRIAGE, "b", "a", classifier.TRIAGE, "b"]
    scores = classifier.score(truth, routed, unknown="x")
    assert scores.accuracy == pytest.approx(2 / 4)
    assert scores.unknown_recall == pytest.approx(1 / 2)
    assert scores.triage_rate == pytest.approx(2 / 6)
    assert scores.summary().startswith("accuracy=0.5000 macro_f1=")
    assert scores.summary().endswith("unknown_recall=0.5000 triage_rate=0.3333 n=6 model=tfidf-svm")


def test_bad_tables_are_refused_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("question,desk\nhow do I reset my password,support\n", encoding="utf-8")
    with pytest.raises(classifier.LabelledDataError, match=r"--text: .* no column 'text'"):
        classifier.read_labelled(path, text="text", label="desk")
    with pytest.raises(classifier.LabelledDataError, match="--csv: no file"):
        classifier.read_labelled(tmp_path / "none.csv", text="question", label="desk")
    with pytest.raises(classifier.LabelledDataError, match="at least two labels"):
        classifier.train(["a b", "c d"], ["x", "x"])
    with pytest.raises(classifier.LabelledDataError, match="at least 2 rows; 'y' has 1"):
        classifier.train(["a b", "c d", "e f"], ["x", "x", "y"])
    path.write_text("question,desk\nhow do I reset my password,\n", encoding="utf-8")
    with pytest.raises(classifier.LabelledDataError, match=r"q.csv:2: column 'desk' is empty"):
        classifier.read_labelled(path, text="question", label="desk")
