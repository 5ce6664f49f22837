"""The repository carries the licence its package metadata declares."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The first lines of the licence text each SPDX id names, as the FSF publishes it.
HEADINGS = {
    "AGPL-3.0-only": ("GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3, 19 November 2007"),
    "AGPL-3.0-or-later": ("GNU AFFERO GENERAL PUBLIC LICENSE", "Version 3, 19 November 2007"),
}


def test_the_license_file_is_the_text_pyproject_and_package_json_declare() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert json.loads((ROOT / "package.json").read_text())["license"] == declared
    lines = [line.strip() for line in (ROOT / "LICENSE").read_text().splitlines()[:2]]
    assert tuple(lines) == HEADINGS[declared]
    text = (ROOT / "LICENSE").read_text()
    # The whole text, not a pointer to it: the network clause and the end of the terms are there.
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    assert "END OF TERMS AND CONDITIONS" in text
