"""Where the reference data sits: ../shared beside the checkout (or beside the folder of worktrees)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def shared(*parts: str) -> Path:
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base.joinpath("shared", "data", *parts)
        if candidate.exists():
            return candidate
    pytest.fail(
        f"the reference data shared/data/{'/'.join(parts)} is missing (the shared folder sits beside the checkout)"
    )
