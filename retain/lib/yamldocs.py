"""Multi-document YAML files (`---` between documents), kept apart with their line offsets.

Scorecards and playbooks are exported and imported as one stream of documents; a problem in the
third document must still be reported at its line in the file, so each document travels with the
number of lines before it.
"""

from __future__ import annotations

import re

DOCUMENT_START = re.compile(r"^---(\s|#|$)")


def split_documents(text: str) -> list[tuple[int, str]]:
    """The documents of a stream with the number of lines before each: [(offset, text)].

    Documents holding only comments and blank lines are left out.
    """
    documents: list[tuple[int, str]] = []
    offset, current = 0, list[str]()
    for number, line in enumerate(text.splitlines(keepends=True)):
        if DOCUMENT_START.match(line):
            documents.append((offset, "".join(current)))
            offset, current = number + 1, []
        else:
            current.append(line)
    documents.append((offset, "".join(current)))
    return [
        (offset, body)
        for offset, body in documents
        if any(line.strip() and not line.lstrip().startswith("#") for line in body.splitlines())
    ]
