"""The suite runs without migrations (--no-migrations builds tables from the models), so a model
change without its migration would pass every other test; this one fails on it, naming the change.
It runs `retain makemigrations --check` in a process of its own, where migrations are not disabled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded


def test_every_model_change_has_its_migration(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIN_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"RETAIN_DATA_DIR": str(tmp_path), "RETAIN_DEBUG": "true"})
    result = subprocess.run(
        [sys.executable, "-m", "retain.cli", "makemigrations", "--check", "--dry-run"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"models changed without a migration:\n{result.stdout}{result.stderr}"
