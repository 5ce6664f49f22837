"""What is wrong with an import file, said so a person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One reason a file or row was refused.

    `line` is the 1-based physical line in the file (the header is line 1; 0 means the file as a
    whole) and `column` the header as written in the file ("" when no single column is to blame).
    """

    line: int
    column: str
    message: str

    def format(self, filename: str) -> str:
        where = filename
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


class FileRefused(Exception):
    """The file as a whole cannot be imported: too big, undecodable, no usable header."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
