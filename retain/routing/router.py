"""Which model routes a workspace's questions: its own (retrained on its corrections) or the default.

The default model is trained from the starter questions (starter/train.csv) the first time it is
needed, and kept under the data directory as routing/default-<digest of the starter file>.joblib,
so a changed starter set trains a new one; `retain routing train-default` does it ahead of time.
Models are kept in memory per process, keyed by file and modification time.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from django.conf import settings

from retain.routing import classifier
from retain.routing.categories import STARTER_TRAIN

_lock = threading.Lock()
_cache: dict[Path, tuple[float, classifier.Model]] = {}


def models_dir() -> Path:
    return Path(settings.DATA_DIR) / "routing"


def default_path() -> Path:
    digest = hashlib.sha256(STARTER_TRAIN.read_bytes()).hexdigest()[:12]
    return models_dir() / f"default-{digest}.joblib"


def starter_rows() -> tuple[list[str], list[str]]:
    _rows, texts, labels = classifier.read_labelled(STARTER_TRAIN, text="text", label="category")
    return texts, labels


def train_default() -> tuple[Path, classifier.TrainingResult]:
    texts, labels = starter_rows()
    result = classifier.train(texts, labels)
    path = default_path()
    classifier.save(result.model, path)
    return path, result


def load_cached(path: Path) -> classifier.Model:
    stamp = path.stat().st_mtime
    found = _cache.get(path)
    if found is not None and found[0] == stamp:
        return found[1]
    model = classifier.load(path)
    _cache[path] = (stamp, model)
    return model


def default_model() -> classifier.Model:
    path = default_path()
    with _lock:
        if not path.exists():
            train_default()
        return load_cached(path)


def workspace_model(model_file: str) -> classifier.Model:
    """The workspace's own model when it has one on disk, else the default."""
    if model_file:
        path = models_dir() / model_file
        if path.exists():
            with _lock:
                return load_cached(path)
    return default_model()
