"""Every CSV export is written by retain.lib.csvsafe (through retain.web.downloads), so none can
hand a spreadsheet a formula. Each export has its own test in its view's test module; this one
fails when new code writes CSV some other way."""

from __future__ import annotations

import re
from pathlib import Path

import retain

SOURCE = Path(retain.__file__).parent
THE_WRITER = SOURCE / "lib" / "csvsafe.py"
CSV_WRITING = re.compile(r"\bcsv\.(writer|DictWriter)\(|text/csv")
ALLOWED = {THE_WRITER, SOURCE / "web" / "downloads.py"}


def writers_of_csv() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if "tests" in path.relative_to(SOURCE).parts or path in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CSV_WRITING.search(line):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    return found


def test_no_code_writes_csv_except_the_safe_writer() -> None:
    assert writers_of_csv() == []


def test_the_check_sees_a_direct_writer() -> None:
    assert CSV_WRITING.search("    csv.writer(buffer).writerows(rows)")
    assert CSV_WRITING.search('HttpResponse(body, content_type="text/csv; charset=utf-8")')
    assert not CSV_WRITING.search("reader = csv.reader(handle)")
