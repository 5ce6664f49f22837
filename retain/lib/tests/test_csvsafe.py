from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from retain.lib.csvsafe import safe_cell, safe_row, write_csv


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_is_quoted(start: str) -> None:
    assert safe_cell(f'{start}HYPERLINK("http://x")') == f'\'{start}HYPERLINK("http://x")'


def test_ordinary_text_is_left_alone() -> None:
    assert safe_cell("Globex") == "Globex"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("") == ""


def test_none_is_an_empty_cell_and_numbers_are_written_as_they_are() -> None:
    assert safe_row([None, 12, 3.5, Decimal("1250.00")]) == ["", "12", "3.5", "1250.00"]


@pytest.mark.parametrize("value", [-5, -0.25, Decimal("-1250.50"), "-5", "-1250.50", "+3", "-3e2", "-.5"])
def test_a_negative_number_stays_a_number(value: object) -> None:
    assert safe_cell(value) == str(value)


@pytest.mark.parametrize("text", ["-1+cmd|' /C calc'!A0", "-5 ", "+1-2", "-", "-e5", "-1e", "-0x1F", "-5\n=1"])
def test_text_that_starts_like_a_number_but_is_more_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [float("-inf"), Decimal("-Infinity")])
def test_a_negative_infinity_is_not_a_number_to_a_spreadsheet_and_is_quoted(value: object) -> None:
    assert safe_cell(value) == "'" + str(value)


def test_true_and_false_are_words() -> None:
    assert safe_row([True, False]) == ["True", "False"]


def test_written_csv_reads_back_with_the_quoted_cells() -> None:
    text = write_csv([["name", "domain"], ["=cmd|' /C calc'!A0", "evil.example"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "domain"], ["'=cmd|' /C calc'!A0", "evil.example"]]


def test_it_writes_to_a_file_like_target() -> None:
    out = io.StringIO()
    assert write_csv([["@SUM(A1)"]], out) == ""
    assert out.getvalue() == "'@SUM(A1)\r\n"
