from __future__ import annotations

import csv
import io

import pytest

from retain.lib.csvsafe import safe_cell, safe_row, write_csv


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_is_quoted(start: str) -> None:
    assert safe_cell(f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'


def test_ordinary_text_is_left_alone() -> None:
    assert safe_cell("Globex") == "Globex"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("") == ""


def test_none_is_an_empty_cell_and_numbers_are_text() -> None:
    assert safe_row([None, 12, 3.5]) == ["", "12", "3.5"]


def test_a_negative_number_is_quoted_too() -> None:
    # Sheets would still show -5 as a number; quoting is the price of never running "-1+cmd|…".
    assert safe_cell(-5) == "'-5"


def test_written_csv_reads_back_with_the_quoted_cells() -> None:
    text = write_csv([["name", "domain"], ["=cmd|' /C calc'!A0", "evil.example"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "domain"], ["'=cmd|' /C calc'!A0", "evil.example"]]


def test_it_writes_to_a_file_like_target() -> None:
    out = io.StringIO()
    assert write_csv([["@SUM(A1)"]], out) == ""
    assert out.getvalue() == "'@SUM(A1)\r\n"
