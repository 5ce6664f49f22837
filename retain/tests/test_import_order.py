"""The apps import one way: the layers contract in pyproject.toml holds, and it names every app."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "retain"


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["id"] == "app-order"]
    return [[name.strip() for name in layer.replace(":", "|").split("|")] for layer in contract["layers"]]


def test_no_app_imports_an_app_above_it() -> None:
    """A new upward import (at module level or inside a function) fails here with both module names."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache", "--contract", "app-order"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[done.stdout.find("Broken contracts") :] or done.stdout + done.stderr
    assert "Apps import one way KEPT" in done.stdout


def test_every_app_has_a_layer() -> None:
    """An app left out of the layers would escape the contract."""
    named = {name for layer in _layers() for name in layer}
    apps = {
        f"retain.{path.name}"
        for path in PACKAGE.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "tests"
    }
    modules = {f"retain.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    assert apps | modules <= named, sorted((apps | modules) - named)
